"""The web UI: server-rendered pages (Jinja2) served by the same FastAPI application as the REST API,
under `/ui`, on the same application layer (`smartap_erp.app`). `app.install_ui` mounts it;
`security` holds sign-in sessions, roles and CSRF; `templating` renders pages; `routes/` has one
module per screen. No JavaScript build step: a little hand-written JavaScript in `static/ui.js`
enhances pages that work without it.
"""
