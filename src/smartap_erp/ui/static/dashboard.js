// Sync dashboard: follow the jobs this page shows and reload when a run starts or ends.
// The page works without this script (it shows the state at load).
"use strict";

(() => {
  const root = document.getElementById("live");
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!root || !token) {
    return;
  }
  const url = root.dataset.live;
  const shown = root.dataset.signature;
  let stopped = false;

  function update(job) {
    const row = document.querySelector(`tr.job[data-job="${CSS.escape(job.id)}"]`);
    if (!row) {
      return;
    }
    const state = row.querySelector('[data-field="state"]');
    if (state) {
      state.textContent = job.state;
      state.className = `badge job-state ${job.state}`;
    }
    const bar = row.querySelector('[data-field="progress"]');
    if (bar && job.total) {
      bar.max = job.total;
      bar.value = job.done;
    }
    const steps = row.querySelector('[data-field="steps"]');
    if (steps && job.total) {
      steps.textContent = `${job.done} of ${job.total} steps`;
    }
  }

  async function poll() {
    if (stopped || document.hidden) {
      return;
    }
    try {
      const answer = await fetch(url, {
        headers: { "X-CSRF-Token": token.content, Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!answer.ok) {
        stopped = answer.status === 401 || answer.status === 403;
        return;
      }
      const live = await answer.json();
      live.jobs.forEach(update);
      if (live.signature !== shown) {
        stopped = true;
        window.location.reload(); // the server renders the new state: counts, runs, outcomes
      }
    } catch (error) {
      // the server is restarting or the network dropped: try again at the next tick
    }
  }

  window.setInterval(poll, 1000);
})();
