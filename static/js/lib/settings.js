// The admin's settings cards as data, and the checks the page makes before
// asking the server. Pure: static/js/settings/ draws the cards from CARDS.

export const MAX_FIELDS = 20; // cti.Settings.Validate: at most 20 call log fields

// The cards, grouped as the Zoom for Lightning documentation groups them.
// A control's id is "set-" + its setting, and its error element answers
// to the setting's key in the server's field errors.
export const CARDS = [
  {
    title: "Call logging",
    items: [
      {
        key: "auto_save_call_logs", type: "toggle", label: "Auto Save Call Logs",
        help: "On: the call log (a Task) is written when the call ends. Off: the agent completes a wrap-up form first, and the call waits in Unlinked call logs until it is saved or discarded.",
      },
      {
        key: "log_queue_calls_to_answering_member", type: "toggle", label: "Log answered queue calls against the answering member",
        help: "On: a queue call is logged once, for the member who answered, and not for members it only rang. Off: still one log per queue call; when nobody answered, the first member it rang gets it.",
      },
      {
        key: "ignore_internal_calls", type: "toggle", label: "Ignore internal calls",
        help: "Calls between extensions are neither popped nor logged.",
      },
      {
        key: "task_status", type: "text", label: "Closed Task status", placeholder: "the org's own (e.g. Completed)", maxLength: 255,
        help: "The API name of one of your org's closed Task statuses. Empty: the first closed status in Setup, read from the org.",
      },
      {
        key: "call_log_fields", type: "fields", label: "Call log fields",
        help: "Extra Task fields, in this order: the wrap-up form shows them and the call log writes them. A default is also what Auto Save writes.",
      },
    ],
  },
  {
    title: "SMS",
    items: [
      {
        key: "auto_save_sms", type: "toggle", label: "Auto Save SMS",
        help: "One Task per agent, other number and day, created on the first text and updated as more arrive.",
      },
    ],
  },
  {
    title: "Wrap-up",
    items: [
      {
        key: "editable_contact_lead", type: "toggle", label: "Editable Contact/Lead",
        help: "On: the wrap-up's Name searches any Contact or Lead. Off: it offers the records that match the number.",
      },
      {
        key: "sales_engagement", type: "toggle", label: "Sales Engagement",
        help: "Adds a disposition (Call Result) to the wrap-up and completes the agent's Sales Engagement work item with it.",
      },
      {
        key: "dispositions", type: "list", label: "Dispositions", one: "Disposition", add: "Add disposition",
        placeholder: "e.g. Left Voicemail", maxLength: 255, reorder: true,
        help: "The Call Result values the wrap-up offers, in this order.",
        empty: "No dispositions.",
        showIf: (s) => s.sales_engagement,
      },
      {
        key: "related_to_objects", type: "list", label: "Related To objects", one: "Object", add: "Add object",
        placeholder: "e.g. Opportunity", maxLength: 80, reorder: true,
        help: "API names of the objects the wrap-up's Related To searches.",
        empty: "None listed: Account, Opportunity and Case.",
      },
    ],
  },
  {
    title: "Screen pops",
    items: [
      { key: "pop_on", type: "radio", label: "Pop the record when the call is", options: [["ringing", "Ringing"], ["answered", "Answered"]] },
      {
        key: "multiple_match", type: "select", label: "When several records match",
        options: [["choose", "The agent picks one in the softphone"], ["search", "Open the console's search for the number"], ["layout", "Let the softphone layout decide"]],
      },
      {
        key: "no_match", type: "select", label: "When no record matches",
        options: [["new_contact", "Open a new Contact"], ["new_lead", "Open a new Lead"], ["flow", "Run a screen flow"], ["none", "Pop nothing"]],
      },
      {
        key: "no_match_flow", type: "text", label: "Flow API name", placeholder: "e.g. New_Caller", maxLength: 80, code: true,
        help: "An active screen flow with a String input variable named Phone: it receives the caller's number.",
        showIf: (s) => s.no_match === "flow",
      },
    ],
  },
  {
    title: "Common settings",
    items: [
      {
        key: "match_zoom_email_to_username", type: "toggle", label: "Match the Zoom login email with the Salesforce username",
        help: "An agent's Zoom account is linked only when its login email equals the agent's Salesforce username (on) or Salesforce email (off), ignoring case. It is checked when the agent authorizes Zoom, and again when their Zoom email changes.",
      },
    ],
  },
  {
    title: "Softphone size",
    items: [
      { key: "softphone_height", type: "number", label: "Height (pixels)", min: 240, max: 2560, half: true },
      { key: "softphone_width", type: "number", label: "Width (pixels)", min: 200, max: 1920, half: true },
    ],
  },
  {
    title: "Phone numbers",
    items: [
      {
        key: "default_country", type: "text", label: "Default country", maxLength: 2, upper: true, placeholder: "US",
        help: "How numbers stored without a country code read, such as 03-1234-5678 or (202) 555-0142: a two-letter code like US, GB or JP.",
      },
      {
        key: "strip_prefixes", type: "list", label: "Prefixes to strip", one: "Prefix", add: "Add prefix",
        placeholder: "e.g. 9", maxLength: 6,
        help: "Dialled in front of a number, such as an outside line; the first that matches is removed.",
        empty: "None.",
      },
      {
        key: "add_prefix", type: "text", label: "Prefix to add", maxLength: 6, placeholder: "e.g. +44",
        help: "Put in front of numbers that arrive without a country code, after stripping.",
      },
      {
        key: "phone_e164_fields", type: "list", label: "Normalised-number fields", one: "Field", add: "Add field",
        placeholder: "e.g. Contact.Phone_E164__c", maxLength: 80,
        help: "Text fields your org keeps in E.164 (+4930901821), as Object.Field on Contact, Lead or Account. Set, callers are found by them at once, even in records created a moment ago, and only on the objects listed; empty, by Salesforce search, which finds a record only once Salesforce has indexed it (minutes).",
        empty: "None: callers are found by search.",
      },
    ],
  },
];

export const ITEMS = CARDS.flatMap((c) => c.items);
export const ITEM = new Map(ITEMS.map((it) => [it.key, it]));
const LISTS = ITEMS.filter((it) => it.type === "list").map((it) => it.key);
const NUMBERS = ITEMS.filter((it) => it.type === "number").map((it) => it.key);

// readNumber is a whole number of pixels, or the text as typed (caught by
// validate before anything is sent).
export function readNumber(raw) {
  raw = String(raw).trim();
  return /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
}

// validate returns the errors the page finds by itself, keyed as the
// server keys them; a list's row is key[i], its index among the rows shown
// (blank rows included). doc is the document to send, rows the lists' rows
// as typed, countries the real country codes (GET /api/settings).
export function validate(doc, rows, countries) {
  const errs = {};
  for (const k of NUMBERS) {
    if (typeof doc[k] !== "number") errs[k] = "Enter a whole number of pixels.";
  }
  const country = String(doc.default_country || "");
  if (countries && countries.length && !countries.includes(country)) {
    errs.default_country = country
      ? country + " is not a country code: use a two-letter ISO code such as US, GB or JP."
      : "Enter a two-letter country code such as US, GB or JP.";
  }
  for (const key of LISTS) {
    const seen = new Map();
    (rows[key] || []).forEach((v, i) => {
      const norm = String(v).trim().toLowerCase();
      if (!norm) return;
      if (seen.has(norm)) errs[key + "[" + i + "]"] = '"' + String(v).trim() + '" is already in the list (' + ITEM.get(key).one.toLowerCase() + " " + (seen.get(norm) + 1) + ").";
      else seen.set(norm, i);
    });
  }
  return errs;
}

// afterLocalCheck is what the form shows when the page's own checks fail:
// the server's errors stay (each is still true until its control is edited,
// which drops it), and the page's are added.
export function afterLocalCheck(shown, local) {
  return { ...(shown || {}), ...local };
}

// withoutKey drops the error of an edited control (and of a list's rows
// when the list changes).
export function withoutKey(shown, key) {
  return Object.fromEntries(Object.entries(shown || {}).filter(([k]) => k !== key && !k.startsWith(key + "[")));
}

// labelOf names an error's control in a sentence, for an error whose
// control is not shown.
export function labelOf(key) {
  const m = /^call_log_fields\[(\d+)\]\.(\w+)$/.exec(key);
  if (m) return "Call log field " + (Number(m[1]) + 1) + " " + m[2];
  const row = /^(\w+)\[(\d+)\]$/.exec(key);
  if (row && ITEM.has(row[1])) return ITEM.get(row[1]).one + " " + (Number(row[2]) + 1);
  return ITEM.has(key) ? ITEM.get(key).label : key;
}
