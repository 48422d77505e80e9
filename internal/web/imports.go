package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// PreviewTTL is how long an uploaded file waits for its commit.
const PreviewTTL = 30 * time.Minute

// preview is an uploaded file checked by a dry run and held server-side
// until it is committed, cancelled or expires.
type preview struct {
	Token   string
	User    string
	Dataset string
	Profile string
	Set     map[string]string
	Force   bool
	Name    string
	// Path is the upload spooled to disk by readUpload.
	Path    string
	Created time.Time
	Done    bool
	Report  *imports.Report
	Err     string
}

// previews holds uploads awaiting review. It belongs to one Server.
type previews struct {
	mu sync.Mutex
	m  map[string]*preview
}

func (ps *previews) put(p *preview) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string]*preview{}
	}
	for k, old := range ps.m {
		if time.Since(old.Created) > PreviewTTL {
			delete(ps.m, k)
			// A check or commit still reading the file keeps what it
			// opened; the name is gone.
			os.Remove(old.Path)
		}
	}
	ps.m[p.Token] = p
}

// get returns a copy of the preview for its owner, or nil.
func (ps *previews) get(token, user string) *preview {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.m[token]
	if p == nil || p.User != user || time.Since(p.Created) > PreviewTTL {
		return nil
	}
	cp := *p
	return &cp
}

func (ps *previews) finish(token string, rep *imports.Report, err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p := ps.m[token]; p != nil {
		p.Done, p.Report = true, rep
		if err != nil {
			p.Err = "the file could not be checked; the problem has been logged"
		}
	}
}

func (ps *previews) remove(token string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p := ps.m[token]; p != nil {
		os.Remove(p.Path)
	}
	delete(ps.m, token)
}

// removeAll forgets every preview and its file (the server is stopping).
func (ps *previews) removeAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for k, p := range ps.m {
		os.Remove(p.Path)
		delete(ps.m, k)
	}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func userName(c *fiber.Ctx, s *Server) string {
	if v := s.viewerOf(c); v != nil {
		return v.User.Name
	}
	return ""
}

// importRow is a ledger row as the history shows it.
type importRow struct {
	R       *imports.Record
	Started string
	Size    string
	Short   string
}

func (s *Server) importRows(recs []*imports.Record) []importRow {
	loc := s.Plan().Location()
	out := make([]importRow, 0, len(recs))
	for _, r := range recs {
		short := r.SHA256
		if len(short) > 10 {
			short = short[:10]
		}
		out = append(out, importRow{R: r, Started: r.Started.In(loc).Format("2006-01-02 15:04"), Size: humanSize(r.Size), Short: short})
	}
	return out
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (s *Server) importsPage(c *fiber.Ctx) error {
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	recs, err := s.Importer.History(ctx, c.Query("dataset"), 500)
	if err != nil {
		return err
	}
	p := s.Plan()
	names := make([]string, 0, len(p.Datasets))
	for n := range p.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	var dss []*plan.Dataset
	for _, n := range names {
		dss = append(dss, p.Datasets[n])
	}
	return s.render(c, "imports", pageData{Title: w.T("imports.title", nil), W: w, Data: map[string]any{"Rows": s.importRows(recs), "Datasets": dss}})
}

func parseID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

func (s *Server) importPage(c *fiber.Ctx) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	w := s.words(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	rec, err := s.Importer.Get(ctx, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fiber.ErrNotFound
	}
	var rep imports.Report
	hasReport := len(rec.Report) > 0 && json.Unmarshal(rec.Report, &rep) == nil
	data := map[string]any{"Row": s.importRows([]*imports.Record{rec})[0], "Undoable": rec.Status == "loaded"}
	if hasReport {
		data["Report"] = &rep
	}
	return s.render(c, "import", pageData{Title: w.T("import.title", map[string]any{"ID": id}), W: w, Data: data})
}

func (s *Server) importFile(c *fiber.Ctx) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	rec, f, err := s.Importer.Original(ctx, id)
	if err != nil {
		return err
	}
	if rec == nil || f == nil {
		return fiber.ErrNotFound
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(rec.FileName)))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Attachment(rec.FileName)
	// The file is sent as it is read, and closed once sent.
	return c.SendStream(f, int(fi.Size()))
}

func (s *Server) undo(c *fiber.Ctx) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := s.Importer.Undo(ctx, id, userName(c, s), imports.SourceUndo)
	api := strings.HasPrefix(c.Path(), "/api/")
	var ref *imports.Refusal
	if errors.As(err, &ref) {
		if api {
			return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": "refused", "message": ref.Message})
		}
		return s.flashImport(c, id, ref.Message, true)
	}
	if err != nil {
		return err
	}
	s.audit(c, userName(c, s), "import undone", fmt.Sprintf("#%d by #%d", id, res.ID))
	if api {
		return c.JSON(res)
	}
	w := s.words(c)
	return s.flashImport(c, id, w.T("import.undone", map[string]any{"Removed": res.Removed, "Restored": res.Restored}), false)
}

// flashImport shows the import page with a message above it.
func (s *Server) flashImport(c *fiber.Ctx, id int64, msg string, isErr bool) error {
	c.Locals("flash", msg)
	c.Locals("flash_error", isErr)
	if isErr {
		c.Status(fiber.StatusConflict)
	}
	return s.importPage(c)
}

// setField is a value a profile asks for at import time.
type setField struct {
	Key      string
	Profiles []string
}

// uploadPage is the upload form of a dataset: the file, how to read it
// (detected, or a profile chosen), and the values profiles ask for.
func (s *Server) uploadPage(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("name")]
	if ds == nil {
		return fiber.ErrNotFound
	}
	w := s.words(c)
	var profiles []*plan.Profile
	fields := map[string]*setField{}
	var keys []string
	for _, pr := range p.AllProfiles() {
		if !pr.Fills(ds.Name) {
			continue
		}
		profiles = append(profiles, pr)
		for _, k := range pr.SetKeys() {
			if fields[k] == nil {
				fields[k] = &setField{Key: k}
				keys = append(keys, k)
			}
			fields[k].Profiles = append(fields[k].Profiles, pr.Name)
		}
	}
	sort.Strings(keys)
	var sets []*setField
	for _, k := range keys {
		sets = append(sets, fields[k])
	}
	return s.render(c, "upload", pageData{Title: w.T("upload.title", map[string]any{"Dataset": ds.Title}), W: w,
		Data: map[string]any{"Dataset": ds, "LimitMB": s.UploadLimit >> 20, "Profiles": profiles, "Sets": sets}})
}

// uploadOptions reads the profile, the import-time values and force from
// the upload form.
func uploadOptions(c *fiber.Ctx) (string, map[string]string, bool) {
	set := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if key, ok := strings.CutPrefix(string(k), "set_"); ok && strings.TrimSpace(string(v)) != "" {
			set[key] = strings.TrimSpace(string(v))
		}
	})
	if form, err := c.MultipartForm(); err == nil {
		for k, vs := range form.Value {
			if key, ok := strings.CutPrefix(k, "set_"); ok && len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
				set[key] = strings.TrimSpace(vs[0])
			}
		}
	}
	force := c.FormValue("force")
	return strings.TrimSpace(c.FormValue("profile")), set, force == "1" || force == "on" || force == "true"
}

// limitBody refuses an upload whose declared length is over the limit
// before any of its body is read (the form around the file may add a little).
func (s *Server) limitBody(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > int(s.UploadLimit)+64<<10 {
		c.Set(fiber.HeaderConnection, "close")
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the file is %s, more than the upload limit of %d MB", humanSize(int64(n)), s.UploadLimit>>20))
	}
	return c.Next()
}

// readUpload spools the multipart file field to a file of its own in the
// upload folder, refusing a file over the limit: an upload is never held in
// memory, however large. The caller removes the file.
func (s *Server) readUpload(c *fiber.Ctx) (name, path string, err error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", "", fiber.NewError(fiber.StatusBadRequest, "choose a file to upload")
	}
	if fh.Size > s.UploadLimit {
		return "", "", fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the file is %s, more than the upload limit of %d MB", humanSize(fh.Size), s.UploadLimit>>20))
	}
	src, err := fh.Open()
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	if err := os.MkdirAll(s.UploadDir, 0o700); err != nil {
		return "", "", fmt.Errorf("web: upload folder: %w", err)
	}
	f, err := os.CreateTemp(s.UploadDir, uploadPrefix+"*")
	if err != nil {
		return "", "", fmt.Errorf("web: upload folder: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(src, s.UploadLimit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		os.Remove(f.Name())
		return "", "", fmt.Errorf("web: keeping the upload: %w", err)
	case n > s.UploadLimit:
		os.Remove(f.Name())
		return "", "", fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the file is more than the upload limit of %d MB", s.UploadLimit>>20))
	}
	return filepath.Base(fh.Filename), f.Name(), nil
}

// uploadPrefix begins the name of every spooled upload.
const uploadPrefix = "upload-"

// importUpload imports the spooled upload at path, read in place.
func (s *Server) importUpload(ctx context.Context, path string, req imports.Request) (*imports.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	req.File, req.Size = f, fi.Size()
	return s.Importer.Import(ctx, req)
}

// sweepUploads removes spooled uploads left in the folder by a server that
// stopped without removing them (older than any preview lives); a fresh
// one may belong to another server that shares the folder.
func sweepUploads(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), uploadPrefix) || e.IsDir() {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 2*PreviewTTL {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// upload takes a file, checks it by a dry run in the background and sends
// the browser to its preview, which polls until the check is done.
func (s *Server) upload(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("name")]
	if ds == nil {
		return fiber.ErrNotFound
	}
	name, path, err := s.readUpload(c)
	if err != nil {
		return err
	}
	profile, set, force := uploadOptions(c)
	pv := &preview{Token: newToken(), User: userName(c, s), Dataset: ds.Name, Profile: profile, Set: set, Force: force, Name: name, Path: path, Created: time.Now()}
	s.previews.put(pv)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		rep, err := s.importUpload(ctx, path, imports.Request{Name: name, Dataset: ds.Name, Profile: profile, Set: set, Force: force,
			Source: imports.SourceUpload, User: pv.User, DryRun: true})
		if err != nil {
			s.Log.Error("upload check", "file", name, "err", err)
		}
		s.previews.finish(pv.Token, rep, err)
	}()
	return c.Redirect("/previews/"+pv.Token, fiber.StatusSeeOther)
}

func (s *Server) previewPage(c *fiber.Ctx) error {
	pv := s.previews.get(c.Params("token"), userName(c, s))
	if pv == nil {
		return fiber.NewError(fiber.StatusNotFound, "this preview has expired or was already committed; upload the file again")
	}
	w := s.words(c)
	return s.render(c, "preview", pageData{Title: w.T("preview.title", map[string]any{"File": pv.Name}), W: w,
		Data: map[string]any{"P": pv, "Dataset": s.Plan().Datasets[pv.Dataset]}})
}

func (s *Server) previewStatus(c *fiber.Ctx) error {
	pv := s.previews.get(c.Params("token"), userName(c, s))
	if pv == nil {
		return fiber.ErrNotFound
	}
	return c.JSON(fiber.Map{"done": pv.Done, "elapsed_seconds": int(time.Since(pv.Created).Seconds())})
}

func (s *Server) previewCommit(c *fiber.Ctx) error {
	pv := s.previews.get(c.Params("token"), userName(c, s))
	if pv == nil || !pv.Done {
		return fiber.NewError(fiber.StatusNotFound, "this preview has expired or was already committed; upload the file again")
	}
	if pv.Report == nil || !pv.Report.OK() {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "a file with problems cannot be committed; correct it and upload it again")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := s.importUpload(ctx, pv.Path, imports.Request{Name: pv.Name, Dataset: pv.Dataset, Profile: pv.Profile, Set: pv.Set,
		Force: pv.Force, Source: imports.SourceUpload, User: pv.User})
	if err != nil {
		return err
	}
	s.previews.remove(pv.Token)
	s.audit(c, pv.User, "import", fmt.Sprintf("%s into %s: %s (#%d)", pv.Name, pv.Dataset, rep.Status, rep.ID))
	if rep.ID > 0 {
		return c.Redirect(fmt.Sprintf("/imports/%d", rep.ID), fiber.StatusSeeOther)
	}
	return fiber.NewError(fiber.StatusUnprocessableEntity, rep.Message)
}

func (s *Server) previewCancel(c *fiber.Ctx) error {
	if pv := s.previews.get(c.Params("token"), userName(c, s)); pv != nil {
		s.previews.remove(pv.Token)
	}
	return c.Redirect("/imports", fiber.StatusSeeOther)
}

// template sends a dataset's Excel template.
func (s *Server) template(c *fiber.Ctx) error {
	ds := s.Plan().Datasets[c.Params("name")]
	if ds == nil {
		return fiber.ErrNotFound
	}
	var buf bytes.Buffer
	if err := s.Importer.Template(&buf, ds.Name); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Attachment(ds.Name + "-template.xlsx")
	return c.Send(buf.Bytes())
}
