// The page's configuration from the server (softphone.go): read once;
// nothing secret is in it.
export const config = Object.freeze(JSON.parse(document.getElementById("zoomcti-config").textContent));
