/* POST JSON with Django's CSRF token, for pages cached whole (they carry no token): the token comes
 * from the `csrftoken` cookie, or from a small never-cached endpoint that sets it. A 403 from a
 * stale cookie fetches a fresh token once. Answers { status, data } where data is the JSON body. */

let tokenPromise = null;

function readCookie(name) {
  for (const part of document.cookie ? document.cookie.split(";") : []) {
    const item = part.trim();
    if (item.startsWith(`${name}=`)) return decodeURIComponent(item.slice(name.length + 1));
  }
  return "";
}

function csrfToken(csrfUrl, refresh) {
  const cookie = readCookie("csrftoken");
  if (cookie && !refresh) return Promise.resolve(cookie);
  if (!tokenPromise || refresh) {
    tokenPromise = fetch(csrfUrl, { credentials: "same-origin", cache: "no-store" })
      .then((response) => {
        if (!response.ok) throw new Error(`Could not get a CSRF token (${response.status}).`);
        return response.json();
      })
      .then((data) => readCookie("csrftoken") || data.csrfToken)
      .catch((error) => {
        tokenPromise = null;
        throw error;
      });
  }
  return tokenPromise;
}

export async function postJSON(url, csrfUrl, payload, retried = false) {
  const token = await csrfToken(csrfUrl, retried);
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify(payload),
  });
  if (response.status === 403 && !retried) return postJSON(url, csrfUrl, payload, true);
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) {
    const error = new Error(`The server answered ${response.status} without a result.`);
    error.status = response.status;
    throw error;
  }
  return { status: response.status, data: await response.json() };
}
