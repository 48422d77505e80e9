// Package ingest reads the spreadsheets cities already have (.xlsx and .csv)
// into typed batches of a dataset's rows, with an error for every cell that
// cannot be taken. It knows nothing of HTTP or SQL.
//
// The pieces stay separate so that profiles (messy layouts, unpivoting,
// filters) can be built on them:
//
//   - Open tells a file's kind from its content and streams the raw cell
//     text of each sheet (Workbook.Rows, RawRow);
//   - Matcher, FindHeader and Matcher.MapHeader find the header row and map
//     its cells onto dataset columns by name, title or alias;
//   - ParseValue reads one cell's text as a column type;
//   - ReadTemplate puts them together for a city's own template file;
//   - Read reads any file through a profile of the plan (named, or detected
//     from the file's sheets and headers): the sheets, the header, unpivoted
//     columns, joined sheets, skipped and filtered rows, the crosswalk.
package ingest
