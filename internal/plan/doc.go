// Package plan is the domain of plandash: the strategic plan (goals,
// objectives, strategies), the datasets and indicators that measure it, and the
// pure rules that turn indicator series into status. It loads and validates the
// plan file and imports no other package of the project.
package plan
