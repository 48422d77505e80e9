package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a plan file, with where it is.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	// Warning problems do not stop the plan from being used.
	Warning bool `json:"warning,omitempty"`
}

func (p Problem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, kind, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.File, kind, p.Message)
}

// Problems is a list of problems in file order.
type Problems []Problem

// Errors counts the problems that are not warnings.
func (ps Problems) Errors() int {
	n := 0
	for _, p := range ps {
		if !p.Warning {
			n++
		}
	}
	return n
}

// Err is nil when there is no error, else an error listing every problem.
func (ps Problems) Err() error {
	if ps.Errors() == 0 {
		return nil
	}
	return &InvalidError{Problems: ps}
}

// InvalidError is returned for a plan file with errors.
type InvalidError struct{ Problems Problems }

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the plan file has %d error(s):", e.Problems.Errors())
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// LoadFile reads and validates the plan file at path. The problems include
// warnings even when err is nil; err is an *InvalidError when there are errors.
func LoadFile(path string) (*Plan, Problems, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("plan: %w", err)
	}
	return Parse(path, data)
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse reads and validates a plan file's bytes; name is used in messages.
func Parse(name string, data []byte) (*Plan, Problems, error) {
	p := &Plan{File: name}
	sum := sha256.Sum256(data)
	p.Hash = hex.EncodeToString(sum[:])
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the plan file is empty")
		}
		ps := Problems{yamlProblem(name, err)}
		return nil, ps, ps.Err()
	}
	var probs Problems
	if err := root.Decode(p); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			ps := Problems{yamlProblem(name, err)}
			return nil, ps, ps.Err()
		}
		lines := strings.Split(string(data), "\n")
		for _, e := range te.Errors {
			probs = append(probs, typeProblem(yamlProblem(name, errors.New(e)), lines))
		}
	}
	if len(root.Content) > 0 {
		p.Pos.Line = root.Content[0].Line
		recordTopKeys(root.Content[0], p)
	}
	probs = append(probs, p.validate()...)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return p, probs, probs.Err()
}

func recordTopKeys(n *yaml.Node, p *Plan) {
	if n.Kind != yaml.MappingNode {
		return
	}
	known := yamlKeys(reflectTypeOfPlan)
	p.keys = map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		p.keys[k] = n.Content[i].Line
		if !known[k] {
			p.unknown = append(p.unknown, k)
		}
	}
}

var unmarshalRe = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")

// typeProblem rewrites the YAML decoder's type errors in plain words, naming
// the key written on that line.
func typeProblem(pr Problem, lines []string) Problem {
	m := unmarshalRe.FindStringSubmatch(pr.Message)
	if m == nil {
		return pr
	}
	want := m[3]
	switch {
	case strings.Contains(want, "int"):
		want = "a whole number"
	case strings.Contains(want, "float"):
		want = "a number"
	case strings.Contains(want, "bool"):
		want = "true or false"
	case strings.HasPrefix(want, "[]"):
		want = "a list"
	case strings.HasPrefix(want, "map") || strings.Contains(want, "plan."):
		want = "a mapping of keys and values"
	case want == "string":
		want = "text"
	}
	key := ""
	if pr.Line > 0 && pr.Line <= len(lines) {
		l := strings.TrimSpace(lines[pr.Line-1])
		l = strings.TrimPrefix(l, "- ")
		if k, _, ok := strings.Cut(l, ":"); ok && !strings.ContainsAny(k, " {[") {
			key = k + ": "
		}
	}
	pr.Message = fmt.Sprintf("%s%q is not %s", key, m[2], want)
	return pr
}

func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Message: m[2]}
	}
	return Problem{File: file, Message: strings.TrimPrefix(msg, "yaml: ")}
}
