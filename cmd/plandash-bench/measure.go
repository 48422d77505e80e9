package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/xuri/excelize/v2"

	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// measured is one run of a child process.
type measured struct {
	wall   time.Duration
	maxRSS int64 // bytes
	stdout string
}

// runChild runs a command to its end and measures its wall time and peak
// resident memory.
func runChild(ctx context.Context, name string, args ...string) (measured, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(t0), stdout: out.String()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.maxRSS = ru.Maxrss << 10 // Linux reports kilobytes
		}
	}
	if err != nil {
		return m, fmt.Errorf("%s %v: %w\n%s%s", filepath.Base(name), args, err, out.String(), errb.String())
	}
	return m, nil
}

// childExcelize reads every row of the first sheet of a workbook with
// excelize's streaming Rows and raw values, as ingest did before its own
// reader: the baseline of the import.
func childExcelize(args []string) int {
	f, err := excelize.OpenFile(args[0], excelize.Options{RawCellValue: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, cells := 0, 0
	for rows.Next() {
		c, err := rows.Columns()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		n++
		cells += len(c)
	}
	if err := rows.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n, cells)
	return 0
}

// childReadCSV loads a CSV file into a new table with DuckDB's read_csv,
// under the settings plandash gives DuckDB: the other baseline.
func childReadCSV(args []string) int {
	ctx := context.Background()
	st, err := store.Open(ctx, args[1], store.Options{Threads: 2, MemoryLimit: "256MB"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	var n int64
	if _, err := st.DB().ExecContext(ctx, "CREATE TABLE ridership AS SELECT * FROM read_csv(?, header = true)", args[0]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM ridership").Scan(&n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n)
	return 0
}

// importResult is the import of one workbook and its baselines.
type importResult struct {
	rows              int
	xlsxSize, csvSize int64
	imports           []measured
	excelize          []measured
	readCSV           []measured
}

// freePort finds a free port on the loopback interface.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverProc is a running plandash serve.
type serverProc struct {
	cmd  *exec.Cmd
	base string
	log  *os.File
}

func startServe(ctx context.Context, bin, planFile, db string) (*serverProc, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logf, err := os.CreateTemp(filepath.Dir(db), "serve-*.log")
	if err != nil {
		return nil, 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.CommandContext(ctx, bin, "serve", "--plan", planFile, "--db", db, "--addr", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	s := &serverProc{cmd: cmd, base: "http://" + addr, log: logf}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := t0.Add(120 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return s, time.Since(t0), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.stop()
	b, _ := os.ReadFile(logf.Name())
	return nil, 0, fmt.Errorf("plandash serve did not answer /healthz within 2 minutes:\n%s", b)
}

func (s *serverProc) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.log.Close()
}

// pageResult is one page under load, and its baseline.
type pageResult struct {
	path      string
	bytes     int     // body size, uncompressed
	coldMS    float64 // the first request after the server started (rendered, then cached)
	load      loadResult
	static    string // the static asset used as the baseline
	staticLen int
	baseline  loadResult
}

type loadResult struct {
	requests, errors int
	p50, p99         time.Duration
	rps              float64
}

const connections = 64

// acceptEncoding is what browsers send.
const acceptEncoding = "gzip, deflate, br, zstd"

// loadTest requests url from 64 connections with keep-alive until maxReq
// requests are done or the time is up, whichever comes first. Like wrk it
// asks for compressed responses as browsers do but does not decompress
// them: the client shares the machine's cores with the server, and the
// time it would spend inflating bodies is not the server's. It uses
// fasthttp's client, which costs far less per request than net/http's.
func loadTest(ctx context.Context, url string, dur time.Duration, maxReq int) loadResult {
	client := &fasthttp.Client{MaxConnsPerHost: connections, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxIdleConnDuration: time.Minute}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var all []time.Duration
	errs, issued := 0, 0
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			bad := 0
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(url)
			req.Header.Set(fasthttp.HeaderAcceptEncoding, acceptEncoding)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				mu.Lock()
				if issued >= maxReq {
					mu.Unlock()
					break
				}
				issued++
				mu.Unlock()
				s := time.Now()
				if err := client.Do(req, resp); err != nil || resp.StatusCode() != fasthttp.StatusOK {
					bad++
					continue
				}
				lat = append(lat, time.Since(s))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := loadResult{requests: len(all), errors: errs, rps: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

// get fetches a URL once, uncompressed, and returns its body.
func get(url string) ([]byte, time.Duration, error) {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	t0 := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", url, resp.Status)
	}
	return b, d, err
}

// pages are what the load test asks for.
var pages = []string{"/", "/goals/G3", "/indicators/transit-boardings", "/finance", "/api/v1/indicators/transit-boardings"}

// staticAssets are the files the server serves from its binary.
var staticAssets = []string{"/static/favicon.svg", "/static/staff.js", "/static/app.js", "/static/app.css", "/static/vendor/echarts.min.js"}

func measureServer(ctx context.Context, rep *report, bin, planFile, db string) error {
	// The first start loads this month's sample data into the datasets
	// that have no real data: a write, measured on its own.
	progress("first start of plandash serve on the large database (loads sample data for the other datasets)")
	s, d, err := startServe(ctx, bin, planFile, db)
	if err != nil {
		return err
	}
	rep.firstStart = d
	s.stop()
	for i := range 3 {
		s, d, err := startServe(ctx, bin, planFile, db)
		if err != nil {
			return err
		}
		rep.starts = append(rep.starts, d)
		progress("start-up #%d: /healthz answered after %.2f s", i+1, d.Seconds())
		if i < 2 {
			s.stop()
			continue
		}
		defer s.stop()
		sizes := map[string]int{}
		for _, a := range staticAssets {
			b, _, err := get(s.base + a)
			if err != nil {
				return err
			}
			sizes[a] = len(b)
		}
		for _, path := range pages {
			b, cold, err := get(s.base + path)
			if err != nil {
				return err
			}
			pr := pageResult{path: path, bytes: len(b), coldMS: float64(cold.Microseconds()) / 1000}
			pr.static = nearest(sizes, len(b))
			pr.staticLen = sizes[pr.static]
			// Warm the connections and the cache before measuring.
			loadTest(ctx, s.base+path, time.Second, 2*connections)
			pr.load = loadTest(ctx, s.base+path, rep.loadFor, 200000)
			loadTest(ctx, s.base+pr.static, time.Second, 2*connections)
			pr.baseline = loadTest(ctx, s.base+pr.static, rep.loadFor, 200000)
			progress("%s (%s): first %.0f ms; p50 %s p99 %s, %.0f req/s; static %s: p99 %s, %.0f req/s",
				path, byteSize(int64(pr.bytes)), pr.coldMS, pr.load.p50.Round(10*time.Microsecond), pr.load.p99.Round(10*time.Microsecond), pr.load.rps,
				pr.static, pr.baseline.p99.Round(10*time.Microsecond), pr.baseline.rps)
			rep.pages = append(rep.pages, pr)
		}
	}
	return nil
}

// nearest is the asset whose size is closest to n.
func nearest(sizes map[string]int, n int) string {
	best, bestDiff := "", -1
	for _, a := range staticAssets {
		d := sizes[a] - n
		if d < 0 {
			d = -d
		}
		if bestDiff < 0 || d < bestDiff {
			best, bestDiff = a, d
		}
	}
	return best
}

// measureQueries times the store's Aggregate over the 10 million revenue
// rows: General Fund actuals by month, the series behind
// gf-revenue-vs-budget. Cold is the first query after the database is
// opened (DuckDB's caches empty; the operating system's file cache is
// warm from the server); warm is the median of repeats on one opening.
func measureQueries(ctx context.Context, rep *report, p *plan.Plan, db string) error {
	ds := p.Datasets["revenue"]
	if ds == nil {
		return errors.New("the plan has no revenue dataset")
	}
	fund := "General Fund"
	q := plan.Query{Dataset: ds, Measure: plan.Measure{Agg: plan.AggSum, Column: "actual"}, Filters: []plan.Filter{{Column: "fund", Equals: &fund}},
		Time: "month", Grain: plan.Month, FYStart: p.FYStart(), Location: p.Location(), Public: true}
	open := func() (*store.Store, error) {
		return store.Open(ctx, db, store.Options{Threads: 2, MemoryLimit: "256MB", TimeZone: p.Location().String()})
	}
	for i := range 3 {
		st, err := open()
		if err != nil {
			return err
		}
		t0 := time.Now()
		cells, err := st.Aggregate(ctx, q)
		d := time.Since(t0)
		st.Close()
		if err != nil {
			return err
		}
		rep.queryCells = len(cells)
		rep.coldQueries = append(rep.coldQueries, d)
		progress("cold query #%d: %.1f ms (%d periods)", i+1, float64(d.Microseconds())/1000, len(cells))
	}
	st, err := open()
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Aggregate(ctx, q); err != nil {
		return err
	}
	for range 20 {
		t0 := time.Now()
		if _, err := st.Aggregate(ctx, q); err != nil {
			return err
		}
		rep.warmQueries = append(rep.warmQueries, time.Since(t0))
	}
	var v string
	if err := st.DB().QueryRowContext(ctx, "SELECT version()").Scan(&v); err == nil {
		rep.machine.duckdb = v
	}
	progress("warm query: median %.1f ms", float64(median(rep.warmQueries).Microseconds())/1000)
	return nil
}

// uploadResult is a workbook imported by a running server through its API.
type uploadResult struct {
	wall       time.Duration
	startRSS   int64 // the server's resident memory before the upload
	peakRSS    int64 // its peak resident memory over its life, after the upload
	status     string
	serverRows int
}

// measureUpload starts plandash serve on a new database, creates an editor
// with an API token, sends the workbook to POST /api/v1/imports as a
// browser or script would (multipart, streamed), and reads the server's
// peak resident memory from /proc.
func measureUpload(ctx context.Context, bin, planFile, dir, xlsx string) (uploadResult, error) {
	var res uploadResult
	db := filepath.Join(dir, "upload", "plandash.duckdb")
	defer os.RemoveAll(filepath.Dir(db))
	if _, err := runChild(ctx, bin, "users", "add", "bench", "--role", "editor", "--plan", planFile, "--db", db); err != nil {
		return res, err
	}
	m, err := runChild(ctx, bin, "users", "token", "bench", "--role", "editor", "--plan", planFile, "--db", db)
	if err != nil {
		return res, err
	}
	lines := strings.Fields(strings.TrimSpace(m.stdout))
	if len(lines) == 0 {
		return res, fmt.Errorf("users token printed no token")
	}
	token := lines[len(lines)-1]
	srv, _, err := startServe(ctx, bin, planFile, db)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	res.startRSS = procRSS(srv.cmd.Process.Pid, "VmRSS")

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("dataset", "transit_ridership")
		var fw io.Writer
		if err == nil {
			fw, err = mw.CreateFormFile("file", filepath.Base(xlsx))
		}
		if err == nil {
			var f *os.File
			if f, err = os.Open(xlsx); err == nil {
				_, err = io.Copy(fw, f)
				f.Close()
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.base+"/api/v1/imports", pr)
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.wall = time.Since(t0)
	res.peakRSS = procRSS(srv.cmd.Process.Pid, "VmHWM")
	var rep struct {
		Status     string `json:"status"`
		RowsLoaded int    `json:"rows_loaded"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || resp.StatusCode != 200 {
		return res, fmt.Errorf("upload: %d %s", resp.StatusCode, body)
	}
	res.status, res.serverRows = rep.Status, rep.RowsLoaded
	return res, nil
}

// procRSS reads a memory figure (VmRSS, VmHWM) of a process from /proc, in bytes.
func procRSS(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
