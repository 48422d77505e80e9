package schedule

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/plandash/plandash/internal/imports"
	"github.com/plandash/plandash/internal/plan"
)

// Events that raise an alert.
const (
	EventRunFailed       = "run_failed"
	EventSourceFailing   = "source_failing"
	EventIndicatorStatus = "indicator_status"
)

// Alert is what a webhook receives as JSON, and an email says in words.
type Alert struct {
	Event   string       `json:"event"`
	Subject string       `json:"subject"`
	Text    string       `json:"text"`
	Time    time.Time    `json:"time"`
	Plan    string       `json:"plan"`
	Source  string       `json:"source,omitempty"`
	Run     *imports.Run `json:"run,omitempty"`
	// Indicator, Status and Previous describe a status change.
	Indicator string `json:"indicator,omitempty"`
	Status    string `json:"status,omitempty"`
	Overdue   *bool  `json:"overdue,omitempty"`
	Previous  string `json:"previous_status,omitempty"`
	// Strategy and To are set on an update reminder: it goes to the
	// owner department's contact rather than the plan's alert recipients.
	Strategy string   `json:"strategy,omitempty"`
	To       []string `json:"to,omitempty"`
}

func (s *Scheduler) alertOf(p *plan.Plan, event string, run *imports.Run, subject, text string) Alert {
	return Alert{Event: event, Subject: subject, Text: text, Time: s.opt.Now(), Plan: p.Title, Source: run.Source, Run: run}
}

// alertAttempts is how often one delivery is tried.
const alertAttempts = 4

// alerter delivers alerts from a queue, in the background: a slow or
// failing webhook or mail server never holds up a run.
type alerter struct {
	client  *http.Client
	getenv  func(string) string
	backoff time.Duration
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	queue   chan delivery
	closed  bool
	running bool
	quit    chan struct{}
	done    chan struct{}
}

type delivery struct {
	cfg *plan.Alerts
	a   Alert
}

func newAlerter(client *http.Client, getenv func(string) string, backoff time.Duration, log *slog.Logger, m *metrics) *alerter {
	return &alerter{client: client, getenv: getenv, backoff: backoff, log: log, metrics: m,
		queue: make(chan delivery, 100), quit: make(chan struct{}), done: make(chan struct{})}
}

func (al *alerter) start() {
	al.mu.Lock()
	defer al.mu.Unlock()
	if al.running || al.closed {
		return
	}
	al.running = true
	go func() {
		defer close(al.done)
		for d := range al.queue {
			al.deliver(d)
		}
	}()
}

// send queues an alert; a full queue drops it (and says so in the log).
func (al *alerter) send(cfg *plan.Alerts, a Alert) {
	if cfg == nil {
		return
	}
	al.mu.Lock()
	defer al.mu.Unlock()
	if al.closed {
		al.log.Warn("alert not sent: plandash is stopping", "event", a.Event, "subject", a.Subject)
		return
	}
	select {
	case al.queue <- delivery{cfg: cfg, a: a}:
	default:
		al.log.Error("alert dropped: too many alerts waiting", "event", a.Event, "subject", a.Subject)
	}
}

// stop delivers what is queued until ctx ends, then gives up on the rest.
func (al *alerter) stop(ctx context.Context) {
	al.mu.Lock()
	if al.closed {
		al.mu.Unlock()
		return
	}
	al.closed = true
	close(al.queue)
	running := al.running
	al.mu.Unlock()
	if !running {
		return
	}
	select {
	case <-al.done:
	case <-ctx.Done():
		close(al.quit)
		<-al.done
	}
}

func (al *alerter) deliver(d delivery) {
	if w := d.cfg.Webhook; w != nil {
		al.retry("webhook", d.a, func() error { return al.postWebhook(w, d.a) })
	}
	if e := d.cfg.Email; e != nil {
		al.retry("email", d.a, func() error { return al.sendMail(e, d.a) })
	}
}

// retry tries a delivery a few times with a doubling wait; failures are
// logged, never passed on.
func (al *alerter) retry(channel string, a Alert, f func() error) {
	for i := 0; i < alertAttempts; i++ {
		err := f()
		if err == nil {
			al.metrics.alert(channel, "sent")
			al.log.Info("alert sent", "channel", channel, "event", a.Event, "subject", a.Subject)
			return
		}
		if i == alertAttempts-1 {
			al.metrics.alert(channel, "failed")
			al.log.Error("alert not delivered", "channel", channel, "event", a.Event, "subject", a.Subject, "attempts", i+1, "err", err)
			return
		}
		al.log.Warn("alert delivery failed; trying again", "channel", channel, "event", a.Event, "attempt", i+1, "err", err)
		select {
		case <-time.After(al.backoff << i):
		case <-al.quit:
			al.metrics.alert(channel, "failed")
			al.log.Error("alert not delivered: plandash stopped", "channel", channel, "event", a.Event, "subject", a.Subject, "err", err)
			return
		}
	}
}

func (al *alerter) postWebhook(w *plan.WebhookAlert, a Alert) error {
	u, err := plan.ExpandEnv(w.URL, al.getenv)
	if err != nil {
		return err
	}
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %v", w.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "plandash")
	for k, v := range w.Headers {
		v, err := plan.ExpandEnv(v, al.getenv)
		if err != nil {
			return err
		}
		req.Header.Set(k, v)
	}
	if w.Token != "" {
		tok, err := plan.ExpandEnv(w.Token, al.getenv)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := al.client.Do(req)
	if err != nil {
		if ue, ok := err.(interface{ Unwrap() error }); ok {
			err = ue.Unwrap() // the URL may hold a secret
		}
		return fmt.Errorf("webhook %s: %v", w.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s", w.URL, resp.Status)
	}
	return nil
}

// sendMail sends the alert with net/smtp: TLS from the start on port 465,
// STARTTLS where offered, PLAIN authentication only over TLS or to
// localhost (net/smtp refuses it otherwise).
func (al *alerter) sendMail(e *plan.EmailAlert, a Alert) error {
	if len(a.To) > 0 {
		// A reminder goes to its department's contact.
		cp := *e
		cp.To = a.To
		e = &cp
	}
	host, port, err := net.SplitHostPort(e.SMTP)
	if err != nil {
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	if port == "465" {
		conn, err = tls.DialWithDialer(&d, "tcp", e.SMTP, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
	} else {
		conn, err = d.Dial("tcp", e.SMTP)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	defer c.Close()
	hello, _ := os.Hostname()
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && port != "465" {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %v", e.SMTP, err)
		}
	}
	if e.Username != "" {
		pw, err := plan.ExpandEnv(e.Password, al.getenv)
		if err != nil {
			return err
		}
		if err := c.Auth(smtp.PlainAuth("", e.Username, pw, host)); err != nil {
			return fmt.Errorf("smtp %s: sign-in as %s: %v", e.SMTP, e.Username, err)
		}
	}
	if err := c.Mail(e.From); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM %s: %v", e.SMTP, e.From, err)
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %v", e.SMTP, to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %v", e.SMTP, err)
	}
	if _, err := w.Write(mailMessage(e, a, hello)); err != nil {
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: %v", e.SMTP, err)
	}
	return c.Quit()
}

// mailMessage writes a plain-text message with CRLF line ends.
func mailMessage(e *plan.EmailAlert, a Alert, host string) []byte {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", e.From)
	hdr("To", strings.Join(e.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", a.Subject))
	hdr("Date", a.Time.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id)+"@"+host+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	body := a.Text + "\n\nPlan: " + a.Plan + "\nEvent: " + a.Event + "\nTime: " + a.Time.Format(time.RFC3339) + "\n"
	if a.Run != nil && len(a.Run.Notes) > 0 {
		body += "\nWhat the run did:\n"
		for _, n := range a.Run.Notes {
			body += "  " + n + "\n"
		}
	}
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}
