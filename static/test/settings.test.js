import { test } from "node:test";
import assert from "node:assert/strict";
import { afterLocalCheck, labelOf, readNumber, validate, withoutKey } from "../js/lib/settings.js";

const countries = ["GB", "JP", "US"];
const good = { softphone_height: 640, softphone_width: 400, default_country: "US" };

test("a document the page finds nothing wrong with", () => {
  assert.deepEqual(validate(good, { dispositions: ["Sold", "Left Voicemail", ""] }, countries), {});
});

test("the page's own checks", () => {
  const cases = [
    { name: "height not a number", doc: { ...good, softphone_height: readNumber("64o") }, want: ["softphone_height"] },
    { name: "width empty", doc: { ...good, softphone_width: readNumber("") }, want: ["softphone_width"] },
    { name: "a country that does not exist", doc: { ...good, default_country: "ZZ" }, want: ["default_country"] },
    { name: "no country", doc: { ...good, default_country: "" }, want: ["default_country"] },
    { name: "a disposition twice, any case", doc: good, rows: { dispositions: ["Sold", "", "sold ", "Sold"] }, want: ["dispositions[2]", "dispositions[3]"] },
    { name: "a prefix twice", doc: good, rows: { strip_prefixes: ["9", "9"] }, want: ["strip_prefixes[1]"] },
  ];
  for (const c of cases) {
    const got = validate(c.doc, c.rows || {}, countries);
    assert.deepEqual(Object.keys(got).sort(), c.want, c.name);
  }
  assert.match(validate(good, { dispositions: ["Sold", "sold"] }, countries)["dispositions[1]"], /already in the list \(disposition 1\)/);
});

test("without the server's country list, the country is the server's to check", () => {
  assert.deepEqual(validate({ ...good, default_country: "ZZ" }, {}, []), {});
});

test("the page's checks keep the server's other errors", () => {
  const shown = { softphone_height: "must be between 240 and 2560 pixels", no_match_flow: "required", "dispositions[1]": "twice" };
  const local = { softphone_width: "Enter a whole number of pixels." };
  assert.deepEqual(afterLocalCheck(shown, local), { ...shown, softphone_width: "Enter a whole number of pixels." });
});

test("editing a control drops its errors, a list's rows' too", () => {
  const shown = { dispositions: "x", "dispositions[2]": "y", "dispositions_other": "z", softphone_width: "w" };
  assert.deepEqual(withoutKey(shown, "dispositions"), { dispositions_other: "z", softphone_width: "w" });
});

test("an error whose control is hidden is named in words", () => {
  assert.equal(labelOf("call_log_fields[1].options"), "Call log field 2 options");
  assert.equal(labelOf("dispositions[0]"), "Disposition 1");
  assert.equal(labelOf("no_match_flow"), "Flow API name");
});
