'use strict';
/**
 * Fake N/format with one user's preferences: dates as M/D/YYYY, times as h:mm am/pm (minutes, no
 * seconds, like NetSuite's default), in the user's time zone (America/New_York by default, on purpose
 * not the Pacific zone NetSuite servers run in). DATETIME values are converted between that zone and
 * real instants; DATE values are Dates at local midnight. format.parse returns its input unchanged when
 * the string does not parse, as Oracle documents.
 */

const DATE_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const DATETIME_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}) (am|pm)$/i;

function zoneParts(ms, timeZone) {
    const fmt = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    const parts = {};
    fmt.formatToParts(new Date(ms)).forEach((p) => { parts[p.type] = Number(p.value); });
    return parts;
}

function zoneOffsetMs(ms, timeZone) {
    const p = zoneParts(ms, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** Wall-clock time in timeZone -> epoch ms. */
function zonedToUtc(y, mo, d, h, mi, timeZone) {
    const guess = Date.UTC(y, mo - 1, d, h, mi);
    const first = guess - zoneOffsetMs(guess, timeZone);
    return guess - zoneOffsetMs(first, timeZone);
}

function createFormatModule(prefs) {
    const timeZone = (prefs && prefs.timeZone) || 'America/New_York';
    const Type = { DATE: 'date', DATETIME: 'datetime', DATETIMETZ: 'datetimetz' };

    function formatDateTime(date) {
        const p = zoneParts(date.getTime(), timeZone);
        const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
        const minute = String(p.minute).padStart(2, '0');
        return `${p.month}/${p.day}/${p.year} ${hour12}:${minute} ${p.hour < 12 ? 'am' : 'pm'}`;
    }

    function parseDateTime(value) {
        const m = DATETIME_RE.exec(value);
        if (!m) {
            return value;
        }
        let hour = Number(m[4]) % 12;
        if (m[6].toLowerCase() === 'pm') {
            hour += 12;
        }
        return new Date(zonedToUtc(Number(m[3]), Number(m[1]), Number(m[2]), hour, Number(m[5]), timeZone));
    }

    return {
        Type,
        Timezone: { AMERICA_NEW_YORK: 'America/New_York', AMERICA_LOS_ANGELES: 'America/Los_Angeles' },
        timeZone,
        format(options) {
            const { value, type } = options || {};
            if (!(value instanceof Date)) {
                return value;
            }
            if (type === Type.DATE) {
                return `${value.getMonth() + 1}/${value.getDate()}/${value.getFullYear()}`;
            }
            if (type === Type.DATETIME || type === Type.DATETIMETZ) {
                return formatDateTime(value);
            }
            throw new Error(`fake format.format: unsupported type ${type}`);
        },
        parse(options) {
            const { value, type } = options || {};
            if (typeof value !== 'string') {
                return value;
            }
            if (type === Type.DATE) {
                const m = DATE_RE.exec(value);
                return m ? new Date(Number(m[3]), Number(m[1]) - 1, Number(m[2])) : value;
            }
            if (type === Type.DATETIME || type === Type.DATETIMETZ) {
                return parseDateTime(value);
            }
            throw new Error(`fake format.parse: unsupported type ${type}`);
        },
    };
}

module.exports = { createFormatModule, zonedToUtc };
