package imports

import (
	"errors"
	"time"

	"github.com/plandash/plandash/internal/store"
)

// Types of scheduled refresh, re-exported so that the schedule and the web
// pages share them without importing the store (or each other).
type (
	// Run is one row of the run ledger.
	Run = store.Run
	// SourceState is what a source last took in.
	SourceState = store.SourceState
	// IndicatorState is the last status seen of an indicator.
	IndicatorState = store.IndicatorState
)

// Run statuses and triggers.
const (
	RunRunning      = store.RunRunning
	RunOK           = store.RunOK
	RunFailed       = store.RunFailed
	RunInterrupted  = store.RunInterrupted
	TriggerSchedule = store.TriggerSchedule
	TriggerCatchUp  = store.TriggerCatchUp
	TriggerManual   = store.TriggerManual
)

// FailingAfter is how many failed runs in a row make a source failing: an
// alert, and a degraded health check.
const FailingAfter = 3

// SourcePrefix starts the ledger's source of an import a scheduled source
// made ("source:revenue-inbox").
const SourcePrefix = "source:"

// Errors of a request to run a source.
var (
	// ErrRunning: the source is being run already; runs never overlap.
	ErrRunning = errors.New("the source is being run already")
	// ErrNoSource: the plan has no source of that name.
	ErrNoSource = errors.New("the plan has no source of that name")
	// ErrStopping: the server is stopping and takes no new work.
	ErrStopping = errors.New("plandash is stopping")
)

// SourceStatus is what the schedule reports about one source, for
// /admin/sources and /api/v1/sources.
type SourceStatus struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Where   string `json:"where"`
	Dataset string `json:"dataset,omitempty"`
	Profile string `json:"profile,omitempty"`
	// Schedule is the cron expression; TimeZone the plan's, in which it runs.
	Schedule string    `json:"schedule"`
	TimeZone string    `json:"time_zone"`
	Next     time.Time `json:"next_run,omitzero"`
	Running  bool      `json:"running"`
	Last     *Run      `json:"last_run,omitempty"`
	// LastSuccess is when the newest run that ended ok started.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Failing counts the runs in a row, newest first, that failed.
	Failing int    `json:"consecutive_failures"`
	Recent  []*Run `json:"recent_runs,omitempty"`
}
