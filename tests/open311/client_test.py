#!/usr/bin/env python3
"""Drive Grassroots' Open311 GeoReport v2 read endpoints with a real
third-party client: the PyPI package `georeport` (pinned in requirements.txt),
in both of its output formats, plus a few raw HTTP checks with `requests`.

Usage: client_test.py ROOT   (e.g. http://127.0.0.1:8080/open311/v2)

Plain asserts, no test framework: prints each thing it checked, exits 1 on
the first failure. Run by scripts/open311-client-test against
`grassroots demo`.
"""

import datetime as dt
import json
import re
import sys
import traceback

import requests
import xmltodict
from georeport import GeoReport

ROOT = ""
CHECKS = 0
NOW = dt.datetime.now(dt.timezone.utc)
CST = dt.timezone(dt.timedelta(hours=8))

DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
# A mainland mobile number, or an 18-character resident ID, standing alone
# (not part of a longer digit run, nor the decimals of a coordinate).
MOBILE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?!\d)")
ID_CARD = re.compile(r"(?<![\d.])\d{17}[\dXx](?![\dXx])")
# Keys that would carry the requester's personal data.
PRIVATE_KEY_PARTS = ("contact", "phone", "mobile", "email", "first_name", "last_name",
                     "id_card", "requester", "device_id", "account_id", "entered_by")


def check(cond, what):
    """One named check; a failure stops the run with `what`."""
    global CHECKS
    CHECKS += 1
    assert cond, what


def ok(fmt, msg):
    print(f"ok  {fmt:4}  {msg}", flush=True)


def as_list(x):
    """xmltodict gives a dict for one child, a list for several, None for none."""
    if x is None:
        return []
    if isinstance(x, list):
        return x
    return [x]


def as_bool(v, fmt, what):
    if fmt == "json":
        check(isinstance(v, bool), f"{what}: JSON boolean expected, got {v!r}")
        return v
    check(v in ("true", "false"), f"{what}: XML 'true'/'false' expected, got {v!r}")
    return v == "true"


def as_int(v, fmt, what):
    if fmt == "json":
        check(isinstance(v, int) and not isinstance(v, bool), f"{what}: JSON integer expected, got {v!r}")
        return v
    check(isinstance(v, str) and re.fullmatch(r"-?\d+", v), f"{what}: XML integer expected, got {v!r}")
    return int(v)


def as_float(v, fmt, what):
    if fmt == "json":
        check(isinstance(v, (int, float)) and not isinstance(v, bool), f"{what}: JSON number expected, got {v!r}")
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        check(False, f"{what}: XML decimal expected, got {v!r}")


def w3c(s, what):
    """A W3C (ISO 8601) datetime with an offset, as GeoReport v2 requires."""
    check(isinstance(s, str), f"{what}: datetime string expected, got {s!r}")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)", s),
          f"{what}: W3C datetime with offset expected, got {s!r}")
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def w3c_cst(t):
    return t.astimezone(CST).replace(microsecond=0).isoformat()


def no_personal_data(obj, what):
    """No key that carries contact data, and no mobile or ID number anywhere."""
    def keys(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                kl = str(k).lower()
                check(not any(p in kl for p in PRIVATE_KEY_PARTS),
                      f"{what}: personal-data key {path}{k!r} in the response")
                keys(v, f"{path}{k}.")
        elif isinstance(o, list):
            for v in o:
                keys(v, path)
    keys(obj, "")
    text = json.dumps(obj, ensure_ascii=False)
    m = MOBILE.search(text)
    check(m is None, f"{what}: a mobile number {m and m.group(0)!r} in the response")
    m = ID_CARD.search(text)
    check(m is None, f"{what}: an ID card number {m and m.group(0)!r} in the response")


# ---------------------------------------------------------------- services

def check_services(client, fmt):
    services = as_list(client.get_service_list())
    check(len(services) > 0, f"{fmt}: the service list is empty")
    codes = set()
    for s in services:
        for key in ("service_code", "service_name", "metadata", "type", "group", "keywords"):
            check(key in s, f"{fmt}: service {s.get('service_code')!r} lacks {key!r}: {s}")
        code = s["service_code"]
        check(isinstance(code, str) and code, f"{fmt}: bad service_code {code!r}")
        check(code not in codes, f"{fmt}: service_code {code!r} listed twice")
        codes.add(code)
        check(isinstance(s["service_name"], str) and s["service_name"],
              f"{fmt}: {code}: empty service_name")
        as_bool(s["metadata"], fmt, f"{fmt}: {code}: metadata")
        check(s["type"] in SERVICE_TYPES, f"{fmt}: {code}: type {s['type']!r} not in {SERVICE_TYPES}")
        # keywords is a comma-separated string (xmltodict: None when empty).
        check(s["keywords"] is None or isinstance(s["keywords"], str),
              f"{fmt}: {code}: keywords should be a string, got {s['keywords']!r}")
        check(s["group"] is None or isinstance(s["group"], str),
              f"{fmt}: {code}: group should be a string, got {s['group']!r}")
    with_meta = [s["service_code"] for s in services if as_bool(s["metadata"], fmt, "metadata")]
    check(with_meta, f"{fmt}: no service has metadata true")
    heating = [c for c in codes if c.startswith("heating.")]
    check(heating, f"{fmt}: no heating.* service")
    for c in heating:
        check(c in with_meta, f"{fmt}: {c} should have metadata true")
    ok(fmt, f"services: {len(services)} services, {len(with_meta)} with metadata, "
            f"each with service_code/service_name/metadata/type/group/keywords")
    return services, with_meta


def check_definition(client, fmt, code):
    d = client.get_service_definition(code)
    check(isinstance(d, dict), f"{fmt}: definition of {code}: object expected, got {d!r}")
    check(d.get("service_code") == code,
          f"{fmt}: definition of {code} names service_code {d.get('service_code')!r}")
    attrs = d.get("attributes")
    if fmt == "xml":
        check(isinstance(attrs, dict), f"{fmt}: {code}: <attributes><attribute> expected, got {attrs!r}")
        attrs = as_list(attrs.get("attribute"))
    check(isinstance(attrs, list) and attrs, f"{fmt}: {code}: no attributes")
    orders = []
    for a in attrs:
        for key in ("code", "datatype", "required", "order"):
            check(key in a, f"{fmt}: {code}: attribute lacks {key!r}: {a}")
        what = f"{fmt}: {code}: attribute {a['code']!r}"
        check(isinstance(a["code"], str) and a["code"], f"{what}: empty code")
        check(a["datatype"] in DATATYPES, f"{what}: datatype {a['datatype']!r} not in {DATATYPES}")
        as_bool(a["required"], fmt, f"{what}: required")
        if "variable" in a:
            as_bool(a["variable"], fmt, f"{what}: variable")
        orders.append(as_int(a["order"], fmt, f"{what}: order"))
        if a["datatype"] in ("singlevaluelist", "multivaluelist"):
            values = a.get("values")
            if fmt == "xml":
                check(isinstance(values, dict), f"{what}: <values><value> expected, got {values!r}")
                values = as_list(values.get("value"))
            check(isinstance(values, list) and values, f"{what}: a list type without values")
            for v in values:
                check("key" in v and "name" in v, f"{what}: value lacks key/name: {v}")
                check(v["key"] not in (None, "") and v["name"] not in (None, ""),
                      f"{what}: empty value key/name: {v}")
    check(len(set(orders)) == len(orders), f"{fmt}: {code}: attribute orders repeat: {orders}")
    return len(attrs)


# ---------------------------------------------------------------- requests

def check_request(r, fmt, names, what):
    check(isinstance(r, dict), f"{what}: request object expected, got {r!r}")
    for key in ("service_request_id", "status", "service_code", "requested_datetime", "lat", "long"):
        check(key in r and r[key] not in (None, ""), f"{what}: request lacks {key!r}: {r}")
    rid = r["service_request_id"]
    what = f"{what}: request {rid}"
    check(r["status"] in ("open", "closed"), f"{what}: status {r['status']!r}")
    check(r["service_code"] in names, f"{what}: service_code {r['service_code']!r} is not a listed service")
    if r.get("service_name") not in (None, ""):
        check(r["service_name"] == names[r["service_code"]],
              f"{what}: service_name {r['service_name']!r} differs from the service list's "
              f"{names[r['service_code']]!r}")
    requested = w3c(r["requested_datetime"], f"{what}: requested_datetime")
    check(requested <= NOW + dt.timedelta(minutes=5), f"{what}: requested in the future ({requested})")
    if r.get("updated_datetime") not in (None, ""):
        updated = w3c(r["updated_datetime"], f"{what}: updated_datetime")
        check(updated >= requested, f"{what}: updated_datetime before requested_datetime")
    if r.get("expected_datetime") not in (None, ""):
        w3c(r["expected_datetime"], f"{what}: expected_datetime")
    lat = as_float(r["lat"], fmt, f"{what}: lat")
    lon = as_float(r["long"], fmt, f"{what}: long")
    # Daqing lies at about 45.5-47.0 N, 123.7-125.5 E.
    check(44.0 <= lat <= 48.5 and 122.0 <= lon <= 127.0,
          f"{what}: lat/long {lat},{lon} outside Daqing (swapped?)")
    return requested


def list_requests(client, fmt, names, what, **filters):
    rs = client.get_service_requests(**filters)
    if fmt == "xml":
        rs = as_list(rs)
    check(isinstance(rs, list), f"{fmt}: {what}: a list of requests expected, got {type(rs)}")
    no_personal_data(rs, f"{fmt}: {what}")
    ids = set()
    for r in rs:
        check_request(r, fmt, names, f"{fmt}: {what}")
        check(r["service_request_id"] not in ids, f"{fmt}: {what}: {r['service_request_id']} listed twice")
        ids.add(r["service_request_id"])
    return rs


def check_requests(client, fmt, services):
    names = {s["service_code"]: s["service_name"] for s in services}

    everything = list_requests(client, fmt, names, "requests (default window)")
    check(everything, f"{fmt}: no service requests in the default window "
                      f"(are any demo appeals published?)")
    oldest = min(w3c(r["requested_datetime"], "requested_datetime") for r in everything)
    # GeoReport v2: without start_date/end_date the range is the most recent 90 days.
    check(oldest >= NOW - dt.timedelta(days=91),
          f"{fmt}: the default window reaches back to {oldest}, more than 90 days")
    ok(fmt, f"requests: {len(everything)} in the default window, all within 90 days, "
            f"each with id/status/service_code/requested_datetime/lat/long, no personal data")

    code = everything[0]["service_code"]
    rs = list_requests(client, fmt, names, f"requests?service_code={code}", service_code=code)
    check(rs, f"{fmt}: nothing for service_code={code}, which the default listing has")
    check(all(r["service_code"] == code for r in rs), f"{fmt}: service_code={code} returned others")
    expected = {r["service_request_id"] for r in everything if r["service_code"] == code}
    check({r["service_request_id"] for r in rs} == expected,
          f"{fmt}: service_code={code} is not the default listing's requests of that service")
    ok(fmt, f"requests?service_code={code}: {len(rs)}, exactly the listing's of that code")

    for status in ("open", "closed"):
        rs = list_requests(client, fmt, names, f"requests?status={status}", status=status)
        check(rs, f"{fmt}: no {status} requests in the default window")
        check(all(r["status"] == status for r in rs), f"{fmt}: status={status} returned others")
        ok(fmt, f"requests?status={status}: {len(rs)}, all {status}")

    start, end = NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=30)
    start_s, end_s = w3c_cst(start), w3c_cst(end)
    rs = list_requests(client, fmt, names, f"requests?start_date={start_s}&end_date={end_s}",
                       start_date=start_s, end_date=end_s)
    check(rs, f"{fmt}: nothing between {start_s} and {end_s}")
    for r in rs:
        t = w3c(r["requested_datetime"], "requested_datetime")
        check(start.replace(microsecond=0) <= t <= end,
              f"{fmt}: {r['service_request_id']} requested {t} is outside {start_s}..{end_s}")
    ok(fmt, f"requests?start_date={start_s}&end_date={end_s}: {len(rs)}, all inside")

    pick = [everything[0]["service_request_id"], everything[-1]["service_request_id"]]
    rs = list_requests(client, fmt, names, "requests?service_request_id=a,b",
                       service_request_id=",".join(pick))
    check({r["service_request_id"] for r in rs} == set(pick),
          f"{fmt}: service_request_id={','.join(pick)} returned "
          f"{[r['service_request_id'] for r in rs]}")
    ok(fmt, f"requests?service_request_id={','.join(pick)}: exactly those")

    for listed in (everything[0], everything[len(everything) // 2], everything[-1]):
        rid = listed["service_request_id"]
        one = client.get_service_request(rid)
        no_personal_data(one, f"{fmt}: requests/{rid}")
        check_request(one, fmt, names, f"{fmt}: requests/{rid}")
        for key in ("service_request_id", "status", "service_code", "service_name",
                    "requested_datetime", "updated_datetime", "lat", "long", "description"):
            check(one.get(key) == listed.get(key),
                  f"{fmt}: requests/{rid}: {key} is {one.get(key)!r}, the listing says {listed.get(key)!r}")
    ok(fmt, "requests/{id}: three requests fetched one by one match the listing")
    return everything


# ---------------------------------------------------------------- raw HTTP

def get(path, **params):
    return requests.get(f"{ROOT}{path}", params=params, timeout=30)


def content_type(resp, fmt, what):
    ct = resp.headers.get("content-type", "")
    want = "application/json" if fmt == "json" else "text/xml"
    check(ct.split(";")[0].strip().lower() == want,
          f"{what}: content-type {ct!r}, expected {want}")


def check_raw(sample_code, sample_id):
    for fmt in ("json", "xml"):
        r = get(f"/discovery.{fmt}")
        check(r.status_code == 200, f"discovery.{fmt}: HTTP {r.status_code}")
        content_type(r, fmt, f"discovery.{fmt}")
        if fmt == "json":
            d = r.json()
            endpoints = d.get("endpoints")
        else:
            d = xmltodict.parse(r.content).get("discovery")
            check(isinstance(d, dict), "discovery.xml: <discovery> root expected")
            endpoints = as_list((d.get("endpoints") or {}).get("endpoint"))
        check(isinstance(endpoints, list) and endpoints, f"discovery.{fmt}: no endpoints")
        for e in endpoints:
            for key in ("specification", "url", "type", "formats"):
                check(key in e, f"discovery.{fmt}: endpoint lacks {key!r}: {e}")
            check("GeoReport_v2" in e["specification"],
                  f"discovery.{fmt}: specification {e['specification']!r}")
            formats = e["formats"] if fmt == "json" else as_list((e["formats"] or {}).get("format"))
            check("application/json" in formats and "text/xml" in formats,
                  f"discovery.{fmt}: formats {formats!r} should list application/json and text/xml")
        ok(fmt, f"discovery.{fmt}: 200 {r.headers['content-type']}, {len(endpoints)} endpoint(s)")

        for path in (f"/services.{fmt}", f"/services/{sample_code}.{fmt}",
                     f"/requests.{fmt}", f"/requests/{sample_id}.{fmt}"):
            r = get(path)
            check(r.status_code == 200, f"{path}: HTTP {r.status_code}")
            content_type(r, fmt, path)
        ok(fmt, "services, services/{code}, requests, requests/{id}: 200 with the right content-type")

        for path in (f"/services/no.such.service.{fmt}", f"/requests/GR-00000-00000.{fmt}"):
            r = get(path)
            check(r.status_code == 404, f"{path}: HTTP {r.status_code}, expected 404")
            content_type(r, fmt, path)
            if fmt == "json":
                errors = r.json()
                check(isinstance(errors, list) and errors, f"{path}: a JSON list of errors expected: {r.text}")
            else:
                doc = xmltodict.parse(r.content)
                check(isinstance(doc.get("errors"), dict), f"{path}: <errors> root expected: {r.text}")
                errors = as_list(doc["errors"].get("error"))
                check(errors, f"{path}: <errors> without <error>: {r.text}")
            for e in errors:
                check(isinstance(e, dict) and "code" in e and "description" in e,
                      f"{path}: error lacks code/description: {e}")
                check(as_int(e["code"], fmt, f"{path}: error code") == 404,
                      f"{path}: error code {e['code']!r}, expected 404")
                check(isinstance(e["description"], str) and e["description"],
                      f"{path}: empty error description")
        ok(fmt, "unknown service / request: 404 with a list of {code, description}")

        client = GeoReport(ROOT, output_format=fmt)
        try:
            client.get_service_definition("no.such.service")
            check(False, f"{fmt}: the client did not raise on an unknown service")
        except requests.HTTPError as e:
            check(e.response.status_code == 404, f"{fmt}: client error {e.response.status_code}")
        ok(fmt, "georeport raises HTTPError 404 for an unknown service definition")

    def ids(resp):
        check(resp.status_code == 200, f"{resp.url}: HTTP {resp.status_code}")
        return [r["service_request_id"] for r in resp.json()]

    plain = ids(get("/requests.json"))
    for params in ({"service_code": ""}, {"status": ""}, {"start_date": "", "end_date": ""},
                   {"service_request_id": ""},
                   {"service_code": "", "status": "", "start_date": "", "end_date": ""}):
        got = ids(get("/requests.json", **params))
        check(got == plain, f"requests.json?{'&'.join(k + '=' for k in params)} differs from no parameter "
                            f"({len(got)} vs {len(plain)} requests)")
    r = get("/services.json", jurisdiction_id="")
    check(r.status_code == 200, f"services.json?jurisdiction_id=: HTTP {r.status_code}")
    ok("json", "empty parameters (service_code=, status=, start_date=&end_date=, ...) act as missing")

    # Only the appeals residents chose to publish (about a third in the demo)
    # are service requests. Ids here are numbers: ask for every id up to the
    # newest listed (service_request_id overrides the date window).
    if all(i.isdigit() for i in plain):
        top = max(int(i) for i in plain)
        visible = set()
        for lo in range(1, top + 1, 400):
            chunk = ",".join(str(i) for i in range(lo, min(lo + 400, top + 1)))
            visible.update(ids(get("/requests.json", service_request_id=chunk)))
        share = len(visible) / top
        check(0.15 <= share <= 0.55, f"{len(visible)} of ids 1..{top} are visible ({share:.0%}); "
                                     f"the demo publishes about a third of its appeals")
        hidden = [str(i) for i in range(top, 0, -1) if str(i) not in visible][:3]
        check(hidden, f"every id 1..{top} is visible: unpublished appeals leak")
        for i in hidden:
            r = get(f"/requests/{i}.json")
            check(r.status_code == 404, f"requests/{i}.json (not published) answers {r.status_code}")
        ok("json", f"published only: {len(visible)} of ids 1..{top} visible ({share:.0%}); "
                   f"unpublished {','.join(hidden)} answer 404")

    first = ids(get("/requests.json", page_size=5))
    second = ids(get("/requests.json", page_size=5, page=2))
    check(0 < len(first) <= 5, f"requests.json?page_size=5 gave {len(first)} requests")
    check(not set(first) & set(second), "requests.json page 1 and page 2 overlap")
    check(first == plain[:5], "requests.json?page_size=5 is not the start of the default listing")
    ok("json", f"page_size=5: {len(first)}, page 2: {len(second)}, no overlap")


def main():
    global ROOT
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ROOT = sys.argv[1].rstrip("/")
    try:
        listings = {}
        for fmt in ("json", "xml"):
            client = GeoReport(ROOT, output_format=fmt)
            services, with_meta = check_services(client, fmt)
            attrs = sum(check_definition(client, fmt, code) for code in with_meta)
            ok(fmt, f"service definitions: {len(with_meta)} with metadata, {attrs} attributes, "
                    f"each with code/datatype/required/order and key/name values")
            listings[fmt] = check_requests(client, fmt, services)
        j = [r["service_request_id"] for r in listings["json"]]
        x = [r["service_request_id"] for r in listings["xml"]]
        check(j == x, "requests.json and requests.xml list different requests")
        ok("both", f"JSON and XML list the same {len(j)} requests in the same order")
        check_raw(with_meta[0], j[0])
    except AssertionError as e:
        print(f"FAILED after {CHECKS} checks: {e}", file=sys.stderr)
        return 1
    except requests.HTTPError as e:
        body = e.response.text[:500] if e.response is not None else ""
        print(f"FAILED after {CHECKS} checks: {e}\n{body}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print(f"FAILED after {CHECKS} checks: unexpected error (above)", file=sys.stderr)
        return 1
    print(f"Open311 client checks: all {CHECKS} held (georeport, JSON and XML)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
