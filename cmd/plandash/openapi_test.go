package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/plandash/plandash/internal/auth"
)

// TestOpenAPIMatchesLiveResponses loads the served OpenAPI document,
// validates it, and checks live responses of every documented GET (and an
// import and its undo) against it.
func TestOpenAPIMatchesLiveResponses(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	code, body := get(t, base+"/api/v1/openapi.json")
	if code != 200 {
		t.Fatalf("openapi.json: %d", code)
	}
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	check := func(req *http.Request) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s is not in the document: %v", req.Method, req.URL.Path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(b)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s %s (%d) does not match the document: %v\n%.400s", req.Method, req.URL.Path, resp.StatusCode, err, b)
		}
	}
	authed := func(method, path string, body io.Reader, ctype string) *http.Request {
		req, _ := http.NewRequest(method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return req
	}
	for _, path := range []string{"/api/v1/plan", "/api/v1/indicators", "/api/v1/indicators/transit-boardings", "/api/v1/indicators/gf-revenue-vs-budget",
		"/api/v1/indicators/shelter-beds", "/api/v1/datasets", "/api/v1/datasets/revenue/rows?limit=3", "/api/v1/datasets/shelter_beds/rows?limit=3",
		"/api/v1/indicators/nope", "/api/v1/strategies", "/api/v1/strategies/G4.O1.S3", "/api/v1/strategies/G9.O9.S9"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		check(req)
	}
	mb, ctype := multipartBody(t, "r.csv", []byte(ridershipCSV), map[string]string{"dry_run": "1"})
	check(authed("POST", "/api/v1/imports", mb, ctype))
	mb, ctype = multipartBody(t, "r.csv", []byte(ridershipCSV), nil)
	check(authed("POST", "/api/v1/imports", mb, ctype))
	check(authed("GET", "/api/v1/imports", nil, ""))
	check(authed("GET", "/api/v1/imports/5", nil, ""))
	check(authed("POST", "/api/v1/imports/5/undo", nil, ""))
	check(authed("POST", "/api/v1/imports/5/undo", nil, ""))
	req, _ := http.NewRequest("GET", base+"/api/v1/imports", nil)
	check(req)
}
