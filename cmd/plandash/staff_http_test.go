package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plandash/plandash/internal/auth"
	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/plan"
)

// multipartBody builds an upload: the file field plus other fields.
func multipartBody(t *testing.T, name string, data []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &b, mw.FormDataContentType()
}

func postFile(t *testing.T, url, token string, name string, data []byte, fields map[string]string) (int, map[string]any) {
	t.Helper()
	body, ctype := multipartBody(t, name, data, fields)
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func newToken(t *testing.T, s *server, name, role string) string {
	t.Helper()
	u, err := s.store.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	plain, hash, _ := auth.NewToken()
	if _, err := s.store.AddToken(context.Background(), u.ID, hash, role, time.Now()); err != nil {
		t.Fatal(err)
	}
	return plain
}

func currentRows(t *testing.T, s *server, dataset string) int64 {
	t.Helper()
	n, _, err := s.store.CurrentRows(context.Background(), s.plan.Datasets[dataset])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const ridershipCSV = "Month,Mode,Type of service,Unlinked passenger trips\n2026-10,MB,PT,91000\n2026-10,DR,PT,2100\n"

func TestImportAPIRolesDryRunAndUndo(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	addUser(t, s, "vi", auth.RoleViewer, "viewer password!")
	editorTok := newToken(t, s, "ed", auth.RoleEditor)
	viewerTok := newToken(t, s, "vi", auth.RoleViewer)
	url := base + "/api/v1/imports"
	data := []byte(ridershipCSV)
	before := currentRows(t, s, "transit_ridership")

	if code, _ := postFile(t, url, "", "r.csv", data, nil); code != http.StatusUnauthorized {
		t.Fatalf("upload without signing in: %d, want 401", code)
	}
	if code, _ := postFile(t, url, viewerTok, "r.csv", data, nil); code != http.StatusForbidden {
		t.Fatalf("upload by a viewer: %d, want 403", code)
	}
	// A signed-in browser session without the CSRF token is refused too.
	cl := newClient(t, base)
	if cl.signIn("ed", "editor password!") != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	body, ctype := multipartBody(t, "r.csv", data, nil)
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", ctype)
	resp, err := cl.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cookie-authenticated upload without CSRF token: %d, want 403", resp.StatusCode)
	}

	code, rep := postFile(t, url, editorTok, "r.csv", data, map[string]string{"dry_run": "1"})
	if code != 200 || rep["status"] != "dry_run" || rep["rows_loaded"].(float64) != 2 {
		t.Fatalf("dry run: %d %v", code, rep)
	}
	if n := currentRows(t, s, "transit_ridership"); n != before {
		t.Fatalf("a dry run changed the dataset: %d rows, was %d", n, before)
	}
	code, rep = postFile(t, url, editorTok, "r.csv", data, map[string]string{"dataset": "transit_ridership"})
	if code != 200 || rep["status"] != "loaded" {
		t.Fatalf("import with an editor token: %d %v", code, rep)
	}
	id := int64(rep["id"].(float64))
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.cfg.DB), "uploads", "upload-*")); len(left) != 0 {
		t.Fatalf("files of API imports stay in the upload folder: %v", left)
	}
	if n := currentRows(t, s, "transit_ridership"); n != 2 {
		t.Fatalf("after the import %d current rows, want the file's 2 (samples superseded)", n)
	}
	// The ledger and the dataset list say so.
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/v1/imports/%d", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+editorTok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET import: %v %v", resp, err)
	}
	resp.Body.Close()

	req, _ = http.NewRequest("POST", fmt.Sprintf("%s/api/v1/imports/%d/undo", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+editorTok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("undo: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := currentRows(t, s, "transit_ridership"); n != before {
		t.Fatalf("after undo %d current rows, want %d back", n, before)
	}
	// A second undo is refused with a reason.
	req, _ = http.NewRequest("POST", fmt.Sprintf("%s/api/v1/imports/%d/undo", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+editorTok)
	resp, _ = http.DefaultClient.Do(req)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "only a loaded import can be undone") {
		t.Fatalf("second undo: %d %s", resp.StatusCode, b)
	}
}

const multipartHead = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"

// slowBody sends size bytes in chunks and records how much was read.
type slowBody struct {
	sent, size int
	gate       chan struct{}
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.sent >= b.size {
		return 0, io.EOF
	}
	if b.sent >= 3<<20 {
		// Past the limit: wait until the test has its answer.
		<-b.gate
		return 0, io.ErrUnexpectedEOF
	}
	if b.sent == 0 {
		n := copy(p, multipartHead)
		b.sent += n
		return n, nil
	}
	n := min(len(p), 64<<10, b.size-b.sent)
	for i := range p[:n] {
		p[i] = 'x'
	}
	b.sent += n
	return n, nil
}

func TestUploadOverLimitRefusedBeforeReadInFull(t *testing.T) {
	getenv := env(t, map[string]string{"PLANDASH_UPLOAD_LIMIT_MB": "1"})
	cfg, _, err := flags("serve", []string{"--addr", "127.0.0.1:0"}, io.Discard, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := loadPlan(cfg.Plan, io.Discard)
	s, err := startServer(context.Background(), cfg, p, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(5 * time.Second)
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	body := &slowBody{size: 50 << 20, gate: make(chan struct{})}
	defer close(body.gate)
	req, _ := http.NewRequest("POST", "http://"+s.Addr()+"/api/v1/imports", body)
	req.ContentLength = int64(body.size)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Authorization", "Bearer "+tok)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- nil
			return
		}
		done <- resp
	}()
	select {
	case resp := <-done:
		if resp == nil {
			// The server closed the connection on a body over the limit,
			// before the client could finish sending it: also a refusal.
			break
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("a 50 MB upload over a 1 MB limit: %d, want 413: %s", resp.StatusCode, b)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no answer while the upload was still being sent: the server waits for the whole body")
	}
	if body.sent >= body.size {
		t.Fatalf("the whole body (%d bytes) was read", body.sent)
	}
}

// privatePlan is the default plan with an indicator broken down by the
// non-public site column of shelter beds.
func privatePlan(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(defaultPlanPath(t))
	if err != nil {
		t.Fatal(err)
	}
	extra := `
  - id: beds-by-site
    title: Shelter beds by site
    dataset: shelter_beds
    measure: last(beds)
    filters:
      - {column: geography, equals: Norwalk}
    breakdown: site
    grain: quarter
    measures: [G2.O3.S2]
`
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, append(src, []byte(extra)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNonPublicColumnsNeverReachAnonymousViewers(t *testing.T) {
	cfg := config.Config{Plan: privatePlan(t), DB: filepath.Join(t.TempDir(), "p.duckdb"), Addr: "127.0.0.1:0", Threads: 2,
		MemoryLimit: "512MB", LogFormat: "text", Public: true, UploadLimit: 100 << 20}
	cfg.Archive = filepath.Join(filepath.Dir(cfg.DB), "archive")
	cfg.Now, _ = config.ParseNow(testNow)
	p, probs, err := plan.LoadFile(cfg.Plan)
	if err != nil {
		t.Fatal(err, probs)
	}
	s, err := startServer(context.Background(), cfg, p, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(5 * time.Second)
	base := "http://" + s.Addr()
	addUser(t, s, "soc", auth.RoleViewer, "social services pw")
	site := "Site A" // the sample's site names start so
	paths := []string{"/", "/goals/G2", "/indicators/beds-by-site", "/api/v1/indicators", "/api/v1/indicators/beds-by-site", "/api/v1/datasets", "/api/v1/plan"}
	for _, path := range paths {
		code, body := get(t, base+path)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		if strings.Contains(body, site) || strings.Contains(body, "Provider 1") {
			t.Errorf("anonymous %s shows a shelter site or provider", path)
		}
	}
	if _, body := get(t, base+"/api/v1/datasets"); strings.Contains(body, `"name":"site"`) || strings.Contains(body, `"name":"provider"`) {
		t.Error("the anonymous dataset list names the non-public columns")
	}
	staff := newClient(t, base)
	if staff.signIn("soc", "social services pw") != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	if _, body, _ := staff.do("GET", "/indicators/beds-by-site", nil, nil); !strings.Contains(body, site) {
		t.Error("signed-in staff do not see the sites")
	}
}

func TestTextFromFilesIsEscapedEverywhere(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	tok := newToken(t, s, "ed", auth.RoleEditor)
	evil := `</script><script>alert(1)</script>`
	csv := "Month,Mode,Type of service,Unlinked passenger trips\n2026-10,\"" + evil + "\",PT,91000\n2026-10,\"=cmd|' /C calc'!A0\",PT,5\n"
	code, rep := postFile(t, base+"/api/v1/imports", tok, "evil.csv", []byte(csv), map[string]string{"dataset": "transit_ridership"})
	if code != 200 {
		t.Fatalf("import: %d %v", code, rep)
	}
	id := int64(rep["id"].(float64))
	cl := newClient(t, base)
	cl.signIn("ed", "editor password!")
	for _, path := range []string{fmt.Sprintf("/imports/%d", id), "/imports", "/indicators/transit-boardings", "/"} {
		_, body, _ := cl.do("GET", path, nil, nil)
		if strings.Contains(body, "<script>alert(1)") {
			t.Errorf("%s carries the script unescaped", path)
		}
	}
	_, body, _ := cl.do("GET", fmt.Sprintf("/imports/%d", id), nil, nil)
	if !strings.Contains(body, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the import page does not show the text escaped")
	}
}

// An upload waits for its review as a file in the upload folder beside the
// database, not in the server's memory, and the file goes when the upload
// is committed or cancelled, when the server stops, or, left behind by a
// server that stopped abruptly, when the next one starts.
func TestUploadsWaitOnDisk(t *testing.T) {
	s := startTestServer(t)
	base := "http://" + s.Addr()
	dir := filepath.Join(filepath.Dir(s.cfg.DB), "uploads")
	addUser(t, s, "ed", auth.RoleEditor, "editor password!")
	cl := newClient(t, base)
	if cl.signIn("ed", "editor password!") != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	spooled := func() []string {
		t.Helper()
		names, _ := filepath.Glob(filepath.Join(dir, "upload-*"))
		return names
	}
	upload := func(data string) string {
		t.Helper()
		tok := cl.csrf("/datasets/transit_ridership/upload")
		body, ctype := multipartBody(t, "r.csv", []byte(data), map[string]string{"_csrf": tok})
		req, _ := http.NewRequest("POST", base+"/datasets/transit_ridership/upload", body)
		req.Header.Set("Content-Type", ctype)
		resp, err := cl.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		preview := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(preview, "/previews/") {
			t.Fatalf("upload: %d %s", resp.StatusCode, preview)
		}
		for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
			_, st, _ := cl.do("GET", preview+"/status", nil, nil)
			if strings.Contains(st, `"done":true`) {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("the check of the upload did not finish: %s", st)
			}
		}
		return preview
	}
	preview := upload(ridershipCSV)
	files := spooled()
	if len(files) != 1 {
		t.Fatalf("%d files in the upload folder while the upload waits for review, want 1: %v", len(files), files)
	}
	if b, err := os.ReadFile(files[0]); err != nil || string(b) != ridershipCSV {
		t.Fatalf("the spooled upload holds %q (%v), want the file uploaded", b, err)
	}
	code, _, h := cl.do("POST", preview+"/commit", url.Values{"_csrf": {cl.csrf(preview)}}, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/imports/") {
		t.Fatalf("commit: %d %s", code, h.Get("Location"))
	}
	// The import's page offers the file as it was uploaded, from the archive.
	code, got, h := cl.do("GET", h.Get("Location")+"/file", nil, nil)
	if code != 200 || got != ridershipCSV || !strings.Contains(h.Get("Content-Disposition"), `filename="r.csv"`) {
		t.Fatalf("the original of the import: %d, %q, Content-Disposition %q", code, got, h.Get("Content-Disposition"))
	}
	if n := currentRows(t, s, "transit_ridership"); n != 2 {
		t.Fatalf("after the commit %d current rows, want the file's 2", n)
	}
	if files := spooled(); len(files) != 0 {
		t.Fatalf("the upload stays on disk after its commit: %v", files)
	}

	preview = upload(strings.Replace(ridershipCSV, "91000", "91500", 1))
	if code, _, _ := cl.do("POST", preview+"/cancel", url.Values{"_csrf": {cl.csrf(preview)}}, nil); code != http.StatusSeeOther {
		t.Fatalf("cancel: %d", code)
	}
	if files := spooled(); len(files) != 0 {
		t.Fatalf("the upload stays on disk after it was cancelled: %v", files)
	}

	upload(strings.Replace(ridershipCSV, "91000", "92000", 1))
	if len(spooled()) != 1 {
		t.Fatal("the second upload is not in the upload folder")
	}
	if err := s.Shutdown(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if files := spooled(); len(files) != 0 {
		t.Fatalf("uploads awaiting review stay on disk after the server stopped: %v", files)
	}

	// What a killed server left: an old upload is swept at the next start,
	// a recent one (another server's, sharing the folder) is not.
	old, recent := filepath.Join(dir, "upload-old"), filepath.Join(dir, "upload-recent")
	for _, p := range []string{old, recent} {
		if err := os.WriteFile(p, []byte(ridershipCSV), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	s2, err := startServer(context.Background(), s.cfg, s.plan, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Shutdown(5 * time.Second) })
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("an upload left hours ago by a stopped server was not swept at start")
	}
	if _, err := os.Stat(recent); err != nil {
		t.Fatalf("a recent upload was swept at start: %v", err)
	}
}
