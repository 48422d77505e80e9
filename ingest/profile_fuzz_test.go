package ingest

import (
	"errors"
	"strings"
	"testing"
)

// FuzzReadProfiles checks that no file makes Read panic through any profile
// (Read turns a panic into a *FileError saying "internal error", which this
// test refuses), and that what it returns is consistent.
func FuzzReadProfiles(f *testing.F) {
	p := profilePlanFile(f, "plan.yaml")
	f.Add("2024-HIC.csv", []byte(",Emergency Shelter (ES)\nCoC Number,Total Year-Round Beds (ES)\nCA-600,5\nTotal,5\n"), 0)
	f.Add("gl.xlsx", glWorkbook(f), 1)
	f.Add("pit.csv", []byte("CoC Number,CoC Name,Count Types,Overall Homeless\nCA-600,LA,x,\"71,201\"\n,Total,,1\n\na footnote\n"), 2)
	f.Add("budget.csv", []byte("Fund,Account Code,Account Name,2016-17 Actuals,2017-18 Adopted Budget\nGF,0201,Sales tax,1,(2)\nTotal,,,3,4\n"), 3)
	f.Add("b.csv", []byte("Account Name,2016-17 Actuals,2016-17 Actuals\nx,1,2\n"), 4)
	f.Add("x.xlsx", buildXLSX(f, fixtureSheet{name: "Report 2", rows: [][]any{nil, {nil, "Posted at Organization Code", "Posted at Fund Code", "Budget Object Code"}, {nil, "0201", 100, 5126}}}), 5)
	names := []string{""}
	for _, pr := range p.AllProfiles() {
		names = append(names, pr.Name)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte, which int) {
		if which < 0 {
			which = -which
		}
		req := ReadRequest{Name: name, Data: data, Plan: p, Profile: names[which%len(names)],
			Set: map[string]string{"year": "2024", "fund": "General Fund"}, Options: Options{MaxErrors: 3}}
		res, err := Read(req)
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) && strings.Contains(fe.Message, "internal error") {
				t.Fatalf("panic: %v", err)
			}
			return
		}
		if len(res.Errors) > 3 || res.ErrorCount < len(res.Errors) || res.Profile == nil {
			t.Fatalf("inconsistent result: %d listed, %d counted", len(res.Errors), res.ErrorCount)
		}
		for _, b := range res.Batches {
			for _, r := range b.Rows {
				if len(r.Values) != len(b.Columns) {
					t.Fatalf("row of %d values for %d columns", len(r.Values), len(b.Columns))
				}
			}
		}
	})
}
