package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plandash/plandash/internal/auth"
)

func TestNarrativesHistoryAndAPI(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	cl := newClient(t, base)
	if cl.signIn("ed", "editor password!") != http.StatusSeeOther {
		t.Fatal("sign-in")
	}
	post := func(happened, next string) {
		tok := cl.csrf("/indicators/transit-boardings")
		code, body, _ := cl.do("POST", "/indicators/transit-boardings/notes", url.Values{"_csrf": {tok}, "period": {"2026-10"},
			"what_happened": {happened}, "what_next": {next}}, nil)
		if code != http.StatusSeeOther {
			t.Fatalf("note: %d %s", code, body)
		}
	}
	post("Ridership rose after the <b>new</b> Route 7 schedule.", "Adding Saturday service.")
	post("Ridership rose 4% after the Route 7 schedule change.", "Adding Saturday service in January.")
	_, page, _ := cl.do("GET", "/indicators/transit-boardings", nil, nil)
	if !strings.Contains(page, "Ridership rose 4% after the Route 7 schedule change.") || !strings.Contains(page, "Written by ed") {
		t.Fatal("the indicator page lacks the current narrative and its author")
	}
	if !strings.Contains(page, "Earlier versions") || !strings.Contains(page, "&lt;b&gt;new&lt;/b&gt;") {
		t.Fatal("the earlier version is not kept (escaped) in the history")
	}
	// Anonymous readers see it too, and the API carries the current one.
	code, body := get(t, base+"/api/v1/indicators/transit-boardings")
	var ind struct {
		Narratives []struct {
			Period, Author string
			WhatHappened   string `json:"what_happened"`
		} `json:"narratives"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &ind) != nil || len(ind.Narratives) != 1 ||
		ind.Narratives[0].Period != "2026-10" || !strings.Contains(ind.Narratives[0].WhatHappened, "4%") || ind.Narratives[0].Author != "ed" {
		t.Fatalf("API narratives: %d %+v", code, ind.Narratives)
	}
	// A narrative is an import: the ledger has it and it can be undone.
	_, imports, _ := cl.do("GET", "/imports?dataset=indicator_notes", nil, nil)
	if strings.Count(imports, "form-indicator_notes-") != 2 {
		t.Fatalf("the ledger does not list both narratives")
	}
}
