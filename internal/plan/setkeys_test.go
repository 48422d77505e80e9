package plan

import (
	"slices"
	"testing"
)

func TestSetKeysListImportTimeValues(t *testing.T) {
	p, _, err := LoadFile("../../data/norwalk-2023-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Profile("hud-hic-by-coc").SetKeys(); !slices.Contains(got, "year") {
		t.Errorf("HUD HIC profile asks for %v, want year", got)
	}
	if got := p.Profile("transit_ridership").SetKeys(); len(got) != 0 {
		t.Errorf("the ridership template asks for %v, want nothing", got)
	}
}
