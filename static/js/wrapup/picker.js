// A record picker: an SLDS lookup combobox over GET /api/records, plus
// quick choices (the call's matches). The chosen record's id is what gets
// saved; the box shows its name. Each picker owns its own state.
import { $, el, recordIcon } from "../dom.js";
import * as session from "../session.js";

// Picker drives the elements whose ids start with prefix: -q (the input),
// -results (the listbox), -box (the combobox), -note (search status),
// -chips (quick choices), -clear (empties the box; shown in -icon's place
// while the box holds something). kind is "who" or "what"; onPick is told
// the id.
export class Picker {
  constructor(prefix, kind, onPick) {
    this.prefix = prefix;
    this.kind = kind;
    this.onPick = onPick || (() => {});
    this.input = $(prefix + "-q");
    this.listbox = $(prefix + "-results");
    this.box = $(prefix + "-box");
    this.noteEl = $(prefix + "-note");
    this.chipsEl = $(prefix + "-chips");
    this.clearBtn = $(prefix + "-clear");
    this.icon = $(prefix + "-icon");
    this.clearBtn.addEventListener("click", () => { this.set(null); this.input.focus(); });
    this.id = "";
    this.name = "";
    this.timer = null;
    this.seq = 0;
    this.options = [];
    this.active = -1;
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("blur", () => setTimeout(() => this.closeList(), 200));
  }

  // set chooses rec ({id, name}) or nothing.
  set(rec) {
    this.id = rec ? rec.id : "";
    this.name = rec ? rec.name : "";
    this.input.value = this.name;
    this.input.dataset.recordId = this.id;
    clearTimeout(this.timer);
    this.seq++; // a search still on its way must not reopen the results
    this.closeList();
    this.note("");
    this.showClear();
    this.onPick(this.id);
  }

  // showClear offers the clear button while the box holds something (a
  // disabled box is emptied first: see the wrap-up form's onWhoChange).
  showClear() {
    const full = this.input.value !== "";
    this.clearBtn.hidden = !full;
    this.icon.hidden = full;
  }

  // pending: the agent typed but did not choose, so there is nothing to save.
  pending() {
    return this.input.value.trim() !== "" && !this.id;
  }

  chips(recs) {
    this.chipsEl.textContent = "";
    for (const rec of recs) {
      const b = el("button", { type: "button", class: "slds-button slds-button_outline-brand zc-chip", "data-record-id": rec.id,
        text: rec.name + (rec.type ? " · " + rec.type : "") });
      b.onclick = () => this.set(rec);
      this.chipsEl.append(b);
    }
  }

  note(text) {
    this.noteEl.textContent = text;
  }

  typed() {
    this.id = "";
    this.input.dataset.recordId = "";
    this.showClear();
    this.onPick("");
    clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (q.length < 2) { this.seq++; this.closeList(); this.note(""); return; }
    this.timer = setTimeout(() => this.search(q), 300); // one request per pause in typing
  }

  async search(q) {
    const seq = ++this.seq;
    this.note("Searching…");
    let res;
    try {
      res = await session.request("GET", "/api/records?for=" + this.kind + "&q=" + encodeURIComponent(q));
    } catch (e) {
      res = session.offline("Search failed: check your connection.");
    }
    if (seq !== this.seq) return; // the agent typed on
    if (!res.ok) { this.closeList(); this.note(res.data.error || "Search failed; try again."); return; }
    const recs = res.data.records || [];
    if (recs.length === 0) { this.closeList(); this.note("No records found."); return; }
    this.note(recs.length === 1 ? "1 record found." : recs.length + " records found.");
    this.openList(recs);
  }

  openList(recs) {
    const ul = el("ul", { class: "slds-listbox slds-listbox_vertical", role: "presentation" });
    this.options = recs.map((rec, i) => {
      const opt = el("div", {
        id: this.prefix + "-opt-" + i, role: "option", "aria-selected": "false", "data-record-id": rec.id,
        class: "slds-media slds-listbox__option slds-listbox__option_entity slds-media_center",
      },
      el("span", { class: "slds-media__figure slds-listbox__option-icon" }, recordIcon(rec.type)),
      el("span", { class: "slds-media__body" },
        el("span", { class: "slds-listbox__option-text slds-listbox__option-text_entity", text: rec.name }),
        el("span", { class: "slds-listbox__option-meta slds-listbox__option-meta_entity", text: rec.type + (rec.detail ? " · " + rec.detail : "") })));
      // mousedown, not click: it comes before the input's blur.
      opt.addEventListener("mousedown", (e) => { e.preventDefault(); this.set(rec); this.input.focus(); });
      ul.append(el("li", { role: "presentation", class: "slds-listbox__item" }, opt));
      return { rec, opt };
    });
    this.listbox.textContent = "";
    this.listbox.append(ul);
    this.box.classList.add("slds-is-open");
    this.input.setAttribute("aria-expanded", "true");
    this.activate(-1);
  }

  closeList() {
    this.options = [];
    this.listbox.textContent = "";
    this.box.classList.remove("slds-is-open");
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  activate(i) {
    this.active = i;
    this.options.forEach((o, j) => {
      o.opt.setAttribute("aria-selected", String(j === i));
      o.opt.classList.toggle("slds-has-focus", j === i);
    });
    if (i >= 0) {
      this.input.setAttribute("aria-activedescendant", this.options[i].opt.id);
      this.options[i].opt.scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  key(e) {
    const n = this.options.length;
    if (e.key === "ArrowDown" && n) {
      e.preventDefault();
      this.activate((this.active + 1) % n);
    } else if (e.key === "ArrowUp" && n) {
      e.preventDefault();
      this.activate(this.active <= 0 ? n - 1 : this.active - 1);
    } else if (e.key === "Escape") {
      this.closeList();
    } else if (e.key === "Enter") {
      e.preventDefault(); // Enter picks, it does not save the half-filled form
      if (n) this.set(this.options[Math.max(0, this.active)].rec);
    }
  }
}
