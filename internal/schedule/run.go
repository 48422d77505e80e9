package schedule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Folders inside a drop folder: what was taken, and what was refused.
const (
	processedDir = "processed"
	failedDir    = "failed"
)

// systemUser is who the ledger names for runs nobody asked for.
const systemUser = "plandash"

// execute does one run of a source and records it.
func (s *Scheduler) execute(p *plan.Plan, src *plan.SourceDef, trigger, user string) *imports.Run {
	ctx := s.runCtx
	start := time.Now()
	run := &imports.Run{Source: src.Name, Trigger: trigger, User: user, Started: s.opt.Now()}
	if err := s.opt.Store.BeginRun(ctx, run); err != nil {
		s.log.Error("run not recorded", "source", src.Name, "err", err)
		run.Error = "the run could not be recorded: " + err.Error()
		run.Status = imports.RunFailed
		return run
	}
	s.log.Info("run started", "source", src.Name, "trigger", trigger, "run", run.ID)
	switch src.Kind {
	case plan.SourceFolder:
		s.runFolder(ctx, src, run)
	case plan.SourceFile:
		s.runFile(ctx, src, run)
	case plan.SourceURL:
		s.runURL(ctx, src, run)
	}
	run.Status = imports.RunOK
	if run.Error != "" || run.Failed > 0 {
		run.Status = imports.RunFailed
	}
	run.Finished = s.opt.Now()
	if err := s.opt.Store.FinishRun(context.WithoutCancel(ctx), run); err != nil {
		s.log.Error("run outcome not recorded", "source", src.Name, "run", run.ID, "err", err)
	}
	s.metrics.run(src.Name, run, time.Since(start))
	level := s.log.Info
	if run.Status == imports.RunFailed {
		level = s.log.Warn
	}
	level("run finished", "source", src.Name, "trigger", trigger, "run", run.ID, "status", run.Status, "seen", run.Seen,
		"imported", run.Imported, "duplicates", run.Duplicates, "failed", run.Failed, "waiting", run.Waiting, "error", run.Error)
	s.afterRun(p, run)
	return run
}

// afterRun raises the alerts of a run and, when it changed data, checks
// the indicators' statuses.
func (s *Scheduler) afterRun(p *plan.Plan, run *imports.Run) {
	if p.Alerts != nil && run.Status == imports.RunFailed {
		s.alerts.send(p.Alerts, s.alertOf(p, EventRunFailed, run,
			fmt.Sprintf("plandash: run of source %s failed", run.Source),
			fmt.Sprintf("The %s run #%d of source %s failed: %s", run.Trigger, run.ID, run.Source, runError(run))))
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.runCtx), 10*time.Second)
		runs, err := s.opt.Store.Runs(ctx, run.Source, FailingAfter+1)
		cancel()
		if err == nil && failing(runs) == FailingAfter {
			s.alerts.send(p.Alerts, s.alertOf(p, EventSourceFailing, run,
				fmt.Sprintf("plandash: source %s has failed %d runs in a row", run.Source, FailingAfter),
				fmt.Sprintf("Source %s has failed its last %d runs; the newest: %s. Its data is not being refreshed.", run.Source, FailingAfter, runError(run))))
		}
	}
	if p.Alerts != nil && run.Imported > 0 {
		s.checkIndicators(s.runCtx)
	}
}

func runError(r *imports.Run) string {
	if r.Error != "" {
		return r.Error
	}
	return fmt.Sprintf("%d file(s) failed", r.Failed)
}

func (r *runState) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// runState adds helpers to a ledger row.
type runState struct{ *imports.Run }

// fail records the first reason a run failed.
func (r *runState) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if r.Error == "" {
		r.Error = msg
	}
	r.Notes = append(r.Notes, msg)
}

// isTemporary reports names that editors and browsers use for files still
// being written, and hidden files.
func isTemporary(name string) bool {
	l := strings.ToLower(name)
	if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "~$") || strings.HasSuffix(l, "~") {
		return true
	}
	for _, ext := range []string{".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

type fileSig struct {
	size  int64
	mtime time.Time
}

func sigOf(fi os.FileInfo) fileSig { return fileSig{fi.Size(), fi.ModTime()} }

// runFolder imports each new file of a drop folder whose size and time have
// settled, then moves it to processed/ or failed/.
func (s *Scheduler) runFolder(ctx context.Context, src *plan.SourceDef, run *imports.Run) {
	r := &runState{run}
	dir := s.resolve(src.Path)
	for _, d := range []string{dir, filepath.Join(dir, processedDir), filepath.Join(dir, failedDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			r.fail("the drop folder %s cannot be created: %v", d, err)
			return
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.fail("the drop folder %s cannot be read: %v", dir, err)
		return
	}
	first := map[string]fileSig{}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if isTemporary(name) || !matchAny(src.Globs(), name) {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		names = append(names, name)
		first[name] = sigOf(fi)
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	run.Seen = len(names)
	// A file still being written changes between two looks.
	if !s.sleep(s.opt.Settle) {
		run.Waiting = len(names)
		r.note("plandash stopped before the files were taken; they wait for the next run")
		return
	}
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			r.note("%s: gone before it was taken", name)
			run.Seen--
			continue
		}
		if sigOf(fi) != first[name] || fi.Size() == 0 {
			run.Waiting++
			r.note("%s: still being written; left for the next run", name)
			continue
		}
		if s.isStopping() {
			run.Waiting++
			r.note("%s: left for the next run (plandash is stopping)", name)
			continue
		}
		if !s.takeFile(ctx, src, r, dir, name, fi) {
			return
		}
	}
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := filepath.Match(g, name); ok {
			return true
		}
	}
	return false
}

// takeFile imports one file of a drop folder and moves it aside. It
// returns false when plandash itself failed (the file stays for the next
// run and the run stops).
func (s *Scheduler) takeFile(ctx context.Context, src *plan.SourceDef, r *runState, dir, name string, fi os.FileInfo) bool {
	full := filepath.Join(dir, name)
	if max := src.MaxBytesOrDefault(); fi.Size() > max {
		msg := fmt.Sprintf("the file is %d bytes, more than the source's limit of %d (max_bytes); nothing was loaded", fi.Size(), max)
		s.setAside(src, r, dir, name, msg+"\n")
		r.Failed++
		r.fail("%s: %s", name, msg)
		s.metrics.file(src.Name, "failed", 0)
		return true
	}
	// The file is read in place, never held whole in memory.
	f, err := os.Open(full)
	if err == nil {
		fi, err = f.Stat()
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		r.fail("%s: cannot be read: %v; it stays in the folder", name, err)
		return true
	}
	req := s.request(src, r.Run, name, nil)
	req.File, req.Size = f, fi.Size()
	rep, err := s.opt.Importer.Import(ctx, req)
	f.Close()
	if err != nil {
		r.fail("%s: plandash could not import it (%v); it stays in the folder for the next run", name, err)
		return false
	}
	switch {
	case rep.Duplicate != 0:
		r.Duplicates++
		to, err := moveUnique(full, filepath.Join(dir, processedDir), fmt.Sprintf("duplicate-of-%d-%s", rep.Duplicate, name))
		if err != nil {
			r.fail("%s: %v", name, err)
			return true
		}
		r.note("%s: already in force (import #%d); set aside as %s", name, rep.Duplicate, filepath.Join(processedDir, filepath.Base(to)))
		s.metrics.file(src.Name, "duplicate", 0)
	case rep.OK():
		r.Imported++
		r.RowsLoaded += rep.RowsLoaded
		r.ImportIDs = append(r.ImportIDs, rep.ID)
		to, err := moveUnique(full, filepath.Join(dir, processedDir), fmt.Sprintf("%d-%s", rep.ID, name))
		if err != nil {
			r.fail("%s: imported as #%d but not moved: %v", name, rep.ID, err)
			return true
		}
		r.note("%s: imported as #%d (%d rows); moved to %s", name, rep.ID, rep.RowsLoaded, filepath.Join(processedDir, filepath.Base(to)))
		s.metrics.file(src.Name, "imported", rep.RowsLoaded)
	default:
		r.Failed++
		if rep.ID > 0 {
			r.ImportIDs = append(r.ImportIDs, rep.ID)
		}
		to := s.setAside(src, r, dir, name, rep.Text())
		r.fail("%s: %s (moved to %s with a report)", name, rep.Message, filepath.Join(failedDir, filepath.Base(to)))
		s.metrics.file(src.Name, "failed", 0)
	}
	return true
}

// setAside moves a refused file to failed/ with a .txt report beside it.
func (s *Scheduler) setAside(src *plan.SourceDef, r *runState, dir, name, report string) string {
	to, err := moveUnique(filepath.Join(dir, name), filepath.Join(dir, failedDir), name)
	if err != nil {
		r.note("%s: could not be moved to %s: %v", name, failedDir, err)
		return name
	}
	head := fmt.Sprintf("plandash did not import %s (source %s, run #%d, %s):\n\n", name, src.Name, r.ID,
		s.opt.Now().Format("2006-01-02 15:04:05 MST"))
	if err := os.WriteFile(to+".txt", []byte(head+report), 0o644); err != nil {
		r.note("%s: the report could not be written: %v", name, err)
	}
	return to
}

// moveUnique renames from into dir under name, or name-2, name-3... when
// that is taken, and returns where it went.
func moveUnique(from, dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; i < 1000; i++ {
		to := filepath.Join(dir, name)
		if i > 1 {
			to = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if _, err := os.Lstat(to + ".txt"); err == nil {
			continue
		}
		if err := os.Rename(from, to); err != nil {
			return "", fmt.Errorf("cannot move it to %s: %w", dir, err)
		}
		return to, nil
	}
	return "", fmt.Errorf("cannot move it to %s: too many files of that name", dir)
}

func (s *Scheduler) request(src *plan.SourceDef, run *imports.Run, name string, data []byte) imports.Request {
	user := run.User
	if user == "" {
		user = systemUser
	}
	return imports.Request{Name: name, Data: data, Dataset: src.Dataset, Profile: src.Profile, Set: src.Set,
		Source: imports.SourcePrefix + src.Name, User: user}
}

// runFile reads a fixed path again when its size, time or content changed.
func (s *Scheduler) runFile(ctx context.Context, src *plan.SourceDef, run *imports.Run) {
	r := &runState{run}
	full := s.resolve(src.File)
	fi, err := os.Stat(full)
	if err != nil {
		r.fail("the file %s cannot be read: %v", src.File, unwrapPath(err))
		return
	}
	st, err := s.opt.Store.SourceState(ctx, src.Name)
	if err != nil {
		r.fail("%v", err)
		return
	}
	mtime := fi.ModTime().Truncate(time.Microsecond)
	if st != nil && st.Size == fi.Size() && st.MTime.Equal(mtime) {
		r.note("%s: unchanged since it was last read", src.File)
		return
	}
	if !s.sleep(s.opt.Settle) {
		return
	}
	again, err := os.Stat(full)
	if err != nil || sigOf(again) != sigOf(fi) || fi.Size() == 0 {
		run.Waiting = 1
		r.note("%s: still being written; left for the next run", src.File)
		return
	}
	run.Seen = 1
	if max := src.MaxBytesOrDefault(); fi.Size() > max {
		run.Failed = 1
		r.fail("%s: the file is %d bytes, more than the source's limit of %d (max_bytes); nothing was loaded", src.File, fi.Size(), max)
		s.metrics.file(src.Name, "failed", 0)
		return
	}
	data, err := os.ReadFile(full)
	if err != nil {
		r.fail("the file %s cannot be read: %v", src.File, unwrapPath(err))
		return
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	next := &imports.SourceState{Source: src.Name, Size: fi.Size(), MTime: mtime, SHA256: hash, Updated: s.opt.Now()}
	if st != nil && st.SHA256 == hash {
		r.note("%s: touched, but its content has not changed", src.File)
		s.saveState(ctx, r, next)
		return
	}
	if !s.importBytes(ctx, src, r, filepath.Base(full), data) {
		return
	}
	s.saveState(ctx, r, next)
}

func (s *Scheduler) saveState(ctx context.Context, r *runState, st *imports.SourceState) {
	if err := s.opt.Store.SaveSourceState(context.WithoutCancel(ctx), st); err != nil {
		r.fail("%v", err)
	}
}

// importBytes imports a fetched or read file that is not moved afterwards.
// It returns false when plandash itself failed (to try again next run).
func (s *Scheduler) importBytes(ctx context.Context, src *plan.SourceDef, r *runState, name string, data []byte) bool {
	rep, err := s.opt.Importer.Import(ctx, s.request(src, r.Run, name, data))
	if err != nil {
		r.fail("%s: plandash could not import it (%v); it is tried again at the next run", name, err)
		return false
	}
	switch {
	case rep.Duplicate != 0:
		r.Duplicates++
		r.note("%s: already in force (import #%d)", name, rep.Duplicate)
		s.metrics.file(src.Name, "duplicate", 0)
	case rep.OK():
		r.Imported++
		r.RowsLoaded += rep.RowsLoaded
		r.ImportIDs = append(r.ImportIDs, rep.ID)
		r.note("%s: imported as #%d (%d rows)", name, rep.ID, rep.RowsLoaded)
		s.metrics.file(src.Name, "imported", rep.RowsLoaded)
	default:
		r.Failed++
		if rep.ID > 0 {
			r.ImportIDs = append(r.ImportIDs, rep.ID)
		}
		where := ""
		if rep.ID > 0 {
			where = fmt.Sprintf(" (report: import #%d)", rep.ID)
		}
		r.fail("%s: %s%s", name, rep.Message, where)
		s.metrics.file(src.Name, "failed", 0)
	}
	return true
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fetchError is a failed download; Transient ones are tried again.
type fetchError struct {
	Transient bool
	Msg       string
}

func (e *fetchError) Error() string { return e.Msg }

type fetched struct {
	notModified bool
	header      http.Header
	body        []byte
	name        string
}

// runURL downloads a URL with a conditional GET (a 304 imports nothing),
// retrying transient failures with backoff.
func (s *Scheduler) runURL(ctx context.Context, src *plan.SourceDef, run *imports.Run) {
	r := &runState{run}
	u, err := plan.ExpandEnv(src.URL, s.opt.Getenv)
	if err != nil {
		r.fail("%v", err)
		return
	}
	headers := map[string]string{}
	for k, v := range src.Headers {
		if headers[k], err = plan.ExpandEnv(v, s.opt.Getenv); err != nil {
			r.fail("header %s: %v", k, err)
			return
		}
	}
	st, err := s.opt.Store.SourceState(ctx, src.Name)
	if err != nil {
		r.fail("%v", err)
		return
	}
	retries := src.RetriesOrDefault()
	var got *fetched
	for attempt := 0; ; attempt++ {
		run.Attempts = attempt + 1
		got, err = s.fetch(ctx, src, u, headers, st)
		if err == nil {
			break
		}
		var fe *fetchError
		if !errors.As(err, &fe) || !fe.Transient {
			r.fail("%s; waiting for the next scheduled run", err.Error())
			return
		}
		if attempt >= retries {
			r.fail("%s (tried %d times)", err.Error(), attempt+1)
			return
		}
		wait := s.opt.Backoff << attempt
		r.note("attempt %d: %s; trying again in %s", attempt+1, err.Error(), wait)
		if !s.sleep(wait) {
			r.fail("%s; plandash stopped before trying again", err.Error())
			return
		}
	}
	if got.notModified {
		r.note("not modified since the last download")
		return
	}
	run.Seen = 1
	sum := sha256.Sum256(got.body)
	next := &imports.SourceState{Source: src.Name, ETag: got.header.Get("ETag"), LastModified: got.header.Get("Last-Modified"),
		Size: int64(len(got.body)), SHA256: hex.EncodeToString(sum[:]), Updated: s.opt.Now()}
	if !s.importBytes(ctx, src, r, got.name, got.body) {
		return
	}
	// Remember the validators even when the file was refused: the same file
	// would be refused again; the next change of it is fetched.
	s.saveState(ctx, r, next)
}

// fetch makes one attempt at a download.
func (s *Scheduler) fetch(ctx context.Context, src *plan.SourceDef, u string, headers map[string]string, st *imports.SourceState) (*fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, src.TimeoutOrDefault())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &fetchError{Msg: fmt.Sprintf("%s is not a URL that can be fetched", src.URL)}
	}
	req.Header.Set("User-Agent", "plandash")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if st != nil {
		if st.ETag != "" {
			req.Header.Set("If-None-Match", st.ETag)
		}
		if st.LastModified != "" {
			req.Header.Set("If-Modified-Since", st.LastModified)
		}
	}
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		// The URL may hold a secret: name the source's URL as written.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &fetchError{Transient: true, Msg: fmt.Sprintf("%s did not answer within %s", src.URL, src.TimeoutOrDefault())}
		}
		return nil, &fetchError{Transient: s.runCtx.Err() == nil, Msg: fmt.Sprintf("%s could not be reached: %v", src.URL, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return &fetched{notModified: true, header: resp.Header}, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &fetchError{Transient: true, Msg: fmt.Sprintf("%s answered %s", src.URL, resp.Status)}
	default:
		return nil, &fetchError{Msg: fmt.Sprintf("%s answered %s", src.URL, resp.Status)}
	}
	max := src.MaxBytesOrDefault()
	if resp.ContentLength > max {
		return nil, &fetchError{Msg: fmt.Sprintf("%s is %d bytes, more than the source's limit of %d (max_bytes)", src.URL, resp.ContentLength, max)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &fetchError{Transient: s.runCtx.Err() == nil, Msg: fmt.Sprintf("%s: the download broke off: %v", src.URL, err)}
	}
	if int64(len(body)) > max {
		return nil, &fetchError{Msg: fmt.Sprintf("%s is more than the source's limit of %d bytes (max_bytes); nothing was loaded", src.URL, max)}
	}
	return &fetched{header: resp.Header, body: body, name: downloadName(src, resp)}, nil
}

// downloadName is the name the import records for a download: the one the
// server gives, else the URL's last segment, else the source's name with
// an extension for the content type.
func downloadName(src *plan.SourceDef, resp *http.Response) string {
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		if n := filepath.Base(path.Clean("/" + strings.ReplaceAll(params["filename"], `\`, "/"))); n != "/" && n != "." && n != "" {
			return n
		}
	}
	if base := path.Base(resp.Request.URL.Path); strings.Contains(base, ".") && base != "." && base != "/" {
		return base
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case strings.Contains(ct, "spreadsheetml"):
		return src.Name + ".xlsx"
	case strings.Contains(ct, "csv"), ct == "text/plain":
		return src.Name + ".csv"
	}
	return src.Name
}
