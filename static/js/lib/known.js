// KnownCalls keeps the last calls seen, by id, for messages that name a
// call only by its id ("logged", Sales Engagement). Oldest out first.
export class KnownCalls {
  constructor(limit = 50) {
    this.limit = limit;
    this.calls = new Map();
  }

  // know records the latest view of a call.
  know(call) {
    this.calls.delete(call.id);
    this.calls.set(call.id, call);
    if (this.calls.size > this.limit) this.calls.delete(this.calls.keys().next().value);
  }

  get(id) {
    return this.calls.get(id);
  }

  // markLogged notes that the call's Task is in Salesforce.
  markLogged(id) {
    const c = this.calls.get(id);
    if (c) this.calls.set(id, { ...c, logged: true });
  }
}
