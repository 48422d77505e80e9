package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plandash/plandash/internal/config"
	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// One writer: DuckDB allows one process to write a database. While a server
// holds it, a command that writes (import, users, backup, rebuild, export)
// goes through the server: it sends its arguments, and the files they name,
// over a Unix socket beside the database that only the server's owner can
// open, and prints the server's answer. Nobody sees a lock error.

// socketPath is the server's control socket for a database.
func socketPath(db string) string { return db + ".sock" }

// database is what a command works on: the database it opened itself, or
// the running server's when the command came through the socket.
type database struct {
	store    *store.Store
	importer *imports.Importer
	plan     *plan.Plan
	// cfg is the configuration of whoever opened the database (the
	// server's, for a command run through it).
	cfg   config.Config
	close func()
}

type serverDatabaseKey struct{}

// cliCall is a command as typed, to send to the server.
type cliCall struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	User    string            `json:"user"`
	Files   map[string][]byte `json:"files,omitempty"`
}

type cliAnswer struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// openDatabase gives a command its database. Inside the server it is the
// server's. Otherwise it opens the file; when another process holds it and
// that process's socket answers, the command runs there instead and done is
// true with the exit code to return.
func openDatabase(ctx context.Context, cfg config.Config, p *plan.Plan, call cliCall, stdout, stderr io.Writer, getenv func(string) string) (db *database, code int, done bool) {
	if db, ok := ctx.Value(serverDatabaseKey{}).(*database); ok {
		return db, 0, false
	}
	st, err := openStore(ctx, cfg, p)
	if err == nil {
		im := &imports.Importer{Store: st, Plan: func() *plan.Plan { return p }, Archive: cfg.Archive, Now: cfg.Clock(), Log: newLogger(cfg, io.Discard)}
		return &database{store: st, importer: im, plan: p, cfg: cfg, close: func() { st.Close() }}, 0, false
	}
	if !errors.Is(err, store.ErrLocked) && !strings.Contains(err.Error(), "in use by another plandash process") {
		fmt.Fprintf(stderr, "plandash %s: %v\n", call.Command, err)
		return nil, exitRejected, true
	}
	call.User = currentUser(getenv)
	ans, ferr := forward(ctx, socketPath(cfg.DB), call)
	if ferr != nil {
		fmt.Fprintf(stderr, "plandash %s: the database %s is held by another plandash process that does not answer on %s (%v); stop that process or use another --db\n",
			call.Command, cfg.DB, socketPath(cfg.DB), ferr)
		return nil, exitRejected, true
	}
	fmt.Fprint(stdout, ans.Stdout)
	fmt.Fprint(stderr, ans.Stderr)
	return nil, ans.Code, true
}

// forward sends a command to the server over its socket. Files that the
// arguments name travel with it; other relative paths are made absolute.
func forward(ctx context.Context, sock string, call cliCall) (*cliAnswer, error) {
	if _, err := os.Stat(sock); err != nil {
		return nil, fmt.Errorf("no socket")
	}
	call.Files = map[string][]byte{}
	for i, a := range call.Args {
		val := a
		prefix := ""
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			prefix, val = k+"=", v
		} else if strings.HasPrefix(a, "-") {
			continue
		}
		if fi, err := os.Stat(val); err == nil && fi.Mode().IsRegular() {
			data, err := os.ReadFile(val)
			if err != nil {
				return nil, err
			}
			call.Files[a] = data
			continue
		}
		// Folders and files to be written are paths on this side: make
		// them absolute for the server.
		pathFlag := i > 0 && pathFlags[call.Args[i-1]] || pathFlags[strings.TrimSuffix(prefix, "=")]
		if abs, err := filepath.Abs(val); err == nil && (pathFlag || call.Command == "backup" || strings.ContainsRune(val, os.PathSeparator) || isDir(val)) {
			call.Args[i] = prefix + abs
		}
	}
	body, err := json.Marshal(call)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://plandash/run", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ans cliAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return nil, err
	}
	return &ans, nil
}

// pathFlags take a path to write to.
var pathFlags = map[string]bool{"--into": true, "-into": true, "--parquet": true, "-parquet": true}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// writeCommands are the commands the server runs for the command line.
var writeCommands = map[string]bool{"import": true, "users": true, "backup": true, "rebuild": true, "export": true}

// serveControl answers commands on the socket until the listener closes.
func serveControl(ln net.Listener, current func() *database, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /run", func(w http.ResponseWriter, r *http.Request) {
		var call cliCall
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<30)).Decode(&call); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		ans := runForClient(r.Context(), current(), call)
		log.Info("command from the command line", "command", call.Command, "user", call.User, "code", ans.Code)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	_ = srv.Serve(ln)
}

func runForClient(ctx context.Context, db *database, call cliCall) cliAnswer {
	if !writeCommands[call.Command] {
		return cliAnswer{Code: exitUsage, Stderr: fmt.Sprintf("plandash %s cannot run while a server holds the database; stop the server first\n", call.Command)}
	}
	dir, err := os.MkdirTemp("", "plandash-cli-")
	if err != nil {
		return cliAnswer{Code: exitRejected, Stderr: err.Error() + "\n"}
	}
	defer os.RemoveAll(dir)
	args := make([]string, len(call.Args))
	for i, a := range call.Args {
		args[i] = a
		if data, ok := call.Files[a]; ok {
			// The file keeps its name, which the report and the ledger show.
			p := filepath.Join(dir, fmt.Sprintf("%d", i), filepath.Base(a))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err == nil && os.WriteFile(p, data, 0o600) == nil {
				args[i] = p
			}
		}
	}
	// The command sees the server's settings, and the caller's name.
	env := map[string]string{"USER": call.User, "PLANDASH_PLAN": db.cfg.Plan, "PLANDASH_DB": db.cfg.DB, "PLANDASH_ARCHIVE": db.cfg.Archive}
	if !db.cfg.Now.IsZero() {
		env["PLANDASH_NOW"] = db.cfg.Now.Format(time.RFC3339)
	}
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	ctx = context.WithValue(ctx, serverDatabaseKey{}, db)
	code := run(ctx, append([]string{call.Command}, args...), &out, &errb, getenv)
	return cliAnswer{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// startControl listens on the database's socket, readable only by the
// server's owner.
func startControl(s *server) (func(), error) {
	sock := socketPath(s.cfg.DB)
	if _, err := os.Stat(sock); err == nil {
		// A socket left by a server that did not stop cleanly: this server
		// holds the database now, so the old one is gone.
		os.Remove(sock)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	current := func() *database {
		return &database{store: s.store, importer: s.importer, plan: s.importer.Plan(), cfg: s.cfg, close: func() {}}
	}
	go serveControl(ln, current, s.log)
	return func() { ln.Close(); os.Remove(sock) }, nil
}
