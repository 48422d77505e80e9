package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small pull tokenizer for the worksheet and shared-string
// parts of a workbook, used instead of encoding/xml, which spends most of a
// large import allocating tokens. It yields start tags (with attributes),
// end tags and character data; comments, processing instructions and
// directives are skipped. It checks what a reader of spreadsheet XML relies
// on: tags nest and close in order, attribute values are quoted, entities
// are the five XML defines or character references; and it normalises line
// ends in text as XML requires. It does not validate names or reject
// characters XML forbids: checkParts has already refused control
// characters and broken UTF-8 in these parts.
//
// The slices of a token point into the scanner's buffer: they are valid
// until the next call of next.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	pos  int // next byte to read
	end  int // end of the data in buf
	eof  bool
	rerr error // the reader's error, other than io.EOF

	tok xmlToken
	// closing is set after a self-closing start tag: its end comes next.
	closing bool
	// names of the open elements, end to end, and where each starts.
	stack    []byte
	stackIdx []int
	// wantText tells next to keep the text between tags; when false, text
	// is skipped without being copied.
	wantText bool
	scratch  []byte
	attrBuf  []byte
}

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
)

type xmlToken struct {
	kind  tokKind
	name  []byte // the qualified name: x:c
	local []byte // the name without its prefix: c
	attrs []xmlAttr
	text  []byte
}

type xmlAttr struct {
	name  []byte // qualified: xmlns:x
	local []byte
	value []byte
}

// errXMLSyntax is a syntax error in a workbook part.
var errXMLSyntax = errors.New("ingest: malformed XML")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errXMLSyntax, fmt.Sprintf(format, args...))
}

const scanBufSize = 256 << 10

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, scanBufSize)}
}

// fill reads more data, keeping buf[pos:end]; it reports whether it got any.
func (x *xmlScanner) fill() bool {
	if x.eof {
		return false
	}
	if x.pos > 0 {
		n := copy(x.buf, x.buf[x.pos:x.end])
		x.end = n
		x.pos = 0
	}
	if x.end == len(x.buf) {
		nb := make([]byte, 2*len(x.buf))
		copy(nb, x.buf[:x.end])
		x.buf = nb
	}
	for {
		n, err := x.r.Read(x.buf[x.end:])
		x.end += n
		if err != nil {
			x.eof = true
			if !errors.Is(err, io.EOF) {
				x.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// indexFrom finds c at or after x.pos+off, reading more as needed, and
// returns its offset from x.pos, or -1 at the end of the data. Offsets from
// x.pos stay valid across fill.
func (x *xmlScanner) indexFrom(off int, c byte) int {
	for {
		if x.pos+off < x.end {
			if i := bytes.IndexByte(x.buf[x.pos+off:x.end], c); i >= 0 {
				return off + i
			}
			off = x.end - x.pos
		}
		if !x.fill() {
			return -1
		}
	}
}

// indexSeq finds seq at or after x.pos+off, as indexFrom does.
func (x *xmlScanner) indexSeq(off int, seq []byte) int {
	for {
		if x.pos+off < x.end {
			if i := bytes.Index(x.buf[x.pos+off:x.end], seq); i >= 0 {
				return off + i
			}
			off = max(off, x.end-x.pos-len(seq)+1)
		}
		if !x.fill() {
			return -1
		}
	}
}

// ensure makes at least n bytes from x.pos available, if the data has them.
func (x *xmlScanner) ensure(n int) bool {
	for x.end-x.pos < n {
		if !x.fill() {
			return false
		}
	}
	return true
}

// err is the error to report at the end of the data: the reader's, or a
// syntax error when elements are still open.
func (x *xmlScanner) endErr() error {
	if x.rerr != nil {
		return x.rerr
	}
	if len(x.stackIdx) > 0 {
		return syntaxErr("unexpected end of the part inside <%s>", x.stack[x.stackIdx[len(x.stackIdx)-1]:])
	}
	return io.EOF
}

// next returns the next token, or nil and io.EOF at the end of a
// well-formed part, or nil and an error.
func (x *xmlScanner) next() (*xmlToken, error) {
	t := &x.tok
	if x.closing {
		x.closing = false
		t.kind = tokEnd
		t.attrs = t.attrs[:0]
		x.pop()
		return t, nil
	}
	for {
		if x.pos >= x.end && !x.fill() {
			return nil, x.endErr()
		}
		if x.buf[x.pos] != '<' {
			i := x.indexFrom(0, '<')
			if i < 0 {
				i = x.end - x.pos
			}
			if !x.wantText {
				x.pos += i
				continue
			}
			raw := x.buf[x.pos : x.pos+i]
			x.pos += i
			text, err := x.decodeText(raw)
			if err != nil {
				return nil, err
			}
			t.kind, t.text = tokText, text
			return t, nil
		}
		if !x.ensure(2) {
			return nil, syntaxErr("unexpected end of the part after <")
		}
		switch x.buf[x.pos+1] {
		case '/':
			return x.endTag()
		case '?':
			i := x.indexSeq(2, []byte("?>"))
			if i < 0 {
				return nil, syntaxErr("unterminated processing instruction")
			}
			x.pos += i + 2
			continue
		case '!':
			text, ok, err := x.bang()
			if err != nil {
				return nil, err
			}
			if ok && x.wantText {
				t.kind, t.text = tokText, text
				return t, nil
			}
			continue
		}
		return x.startTag()
	}
}

// bang reads <!-- -->, <![CDATA[ ]]> (returned as text) or a directive.
func (x *xmlScanner) bang() ([]byte, bool, error) {
	x.ensure(9)
	rest := x.buf[x.pos:x.end]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		i := x.indexSeq(4, []byte("-->"))
		if i < 0 {
			return nil, false, syntaxErr("unterminated comment")
		}
		x.pos += i + 3
		return nil, false, nil
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		i := x.indexSeq(9, []byte("]]>"))
		if i < 0 {
			return nil, false, syntaxErr("unterminated CDATA section")
		}
		if len(x.stackIdx) == 0 {
			return nil, false, syntaxErr("CDATA outside the root element")
		}
		raw := x.buf[x.pos+9 : x.pos+i]
		x.pos += i + 3
		if !x.wantText {
			return nil, false, nil
		}
		x.scratch = normalizeNewlines(x.scratch[:0], raw)
		return x.scratch, true, nil
	}
	// A directive such as <!DOCTYPE ...[ <!ENTITY ...> ]>: skip to its '>',
	// over quoted text and nested declarations.
	depth, quote := 0, byte(0)
	for off := 2; ; off++ {
		if x.pos+off >= x.end && !x.ensure(off+1) {
			return nil, false, syntaxErr("unterminated directive")
		}
		c := x.buf[x.pos+off]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<':
			depth++
		case c == '>':
			if depth == 0 {
				x.pos += off + 1
				return nil, false, nil
			}
			depth--
		}
	}
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-' || c >= utf8.RuneSelf
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// localName is the part of a qualified name after its prefix, as
// encoding/xml splits it.
func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i > 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

// tagEnd is the offset from x.pos of the '>' closing the tag at x.pos,
// over quoted attribute values, or -1.
func (x *xmlScanner) tagEnd() int {
	off := 1
	for {
		for ; x.pos+off < x.end; off++ {
			switch c := x.buf[x.pos+off]; c {
			case '>':
				return off
			case '"', '\'':
				j := bytes.IndexByte(x.buf[x.pos+off+1:x.end], c)
				if j < 0 {
					goto more
				}
				off += j + 1
			}
		}
	more:
		if !x.fill() {
			return -1
		}
	}
}

func (x *xmlScanner) startTag() (*xmlToken, error) {
	end := x.tagEnd()
	if end < 0 {
		return nil, syntaxErr("unterminated tag")
	}
	tag := x.buf[x.pos+1 : x.pos+end]
	x.pos += end + 1
	t := &x.tok
	t.kind = tokStart
	t.attrs = t.attrs[:0]
	i := 0
	for i < len(tag) && isNameByte(tag[i]) {
		i++
	}
	if i == 0 {
		return nil, syntaxErr("expected an element name after <")
	}
	t.name = tag[:i]
	if bytes.Count(t.name, []byte(":")) > 1 {
		return nil, syntaxErr("name %q has more than one colon", t.name)
	}
	t.local = localName(t.name)
	if cap(x.attrBuf) < len(tag) {
		x.attrBuf = make([]byte, 0, max(len(tag), 256))
	}
	x.attrBuf = x.attrBuf[:0]
	selfClose := false
	for {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i == len(tag) {
			break
		}
		if tag[i] == '/' {
			if i != len(tag)-1 {
				return nil, syntaxErr("expected > after / in <%s>", t.name)
			}
			selfClose = true
			break
		}
		j := i
		for j < len(tag) && isNameByte(tag[j]) {
			j++
		}
		if j == i {
			return nil, syntaxErr("expected an attribute name in <%s>", t.name)
		}
		name := tag[i:j]
		for j < len(tag) && isSpace(tag[j]) {
			j++
		}
		if j == len(tag) || tag[j] != '=' {
			return nil, syntaxErr("attribute %s in <%s> has no value", name, t.name)
		}
		j++
		for j < len(tag) && isSpace(tag[j]) {
			j++
		}
		if j == len(tag) || tag[j] != '"' && tag[j] != '\'' {
			return nil, syntaxErr("attribute %s in <%s> is not quoted", name, t.name)
		}
		q := tag[j]
		k := bytes.IndexByte(tag[j+1:], q)
		if k < 0 {
			return nil, syntaxErr("unterminated attribute value in <%s>", t.name)
		}
		raw := tag[j+1 : j+1+k]
		val := raw
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, syntaxErr("< in an attribute value of <%s>", t.name)
		}
		if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
			// Decoding never lengthens text, and attrBuf holds the whole
			// tag, so appending never moves the values sliced before.
			start := len(x.attrBuf)
			var err error
			if x.attrBuf, err = appendDecoded(x.attrBuf, raw); err != nil {
				return nil, err
			}
			val = x.attrBuf[start:len(x.attrBuf):len(x.attrBuf)]
		}
		t.attrs = append(t.attrs, xmlAttr{name: name, local: localName(name), value: val})
		i = j + 1 + k + 1
	}
	x.push(t.name)
	if selfClose {
		x.closing = true
	}
	return t, nil
}

func (x *xmlScanner) endTag() (*xmlToken, error) {
	end := x.indexFrom(2, '>')
	if end < 0 {
		return nil, syntaxErr("unterminated end tag")
	}
	name := bytes.TrimRight(x.buf[x.pos+2:x.pos+end], " \t\r\n")
	x.pos += end + 1
	n := len(x.stackIdx)
	if n == 0 {
		return nil, syntaxErr("unexpected end tag </%s>", name)
	}
	open := x.stack[x.stackIdx[n-1]:]
	if !bytes.Equal(open, name) {
		return nil, syntaxErr("element <%s> closed by </%s>", open, name)
	}
	t := &x.tok
	t.kind = tokEnd
	t.name = name
	t.local = localName(name)
	t.attrs = t.attrs[:0]
	x.pop()
	return t, nil
}

func (x *xmlScanner) push(name []byte) {
	x.stackIdx = append(x.stackIdx, len(x.stack))
	x.stack = append(x.stack, name...)
}

// pop closes the innermost element; for a self-closing tag, the end token
// takes its name from the stack.
func (x *xmlScanner) pop() {
	n := len(x.stackIdx)
	if n == 0 {
		return
	}
	// The name stays readable until the next push: tok.name points at it.
	x.tok.name = x.stack[x.stackIdx[n-1]:]
	x.tok.local = localName(x.tok.name)
	x.stack = x.stack[:x.stackIdx[n-1]]
	x.stackIdx = x.stackIdx[:n-1]
}

// skipSpace skips white space at the reading position when text is not
// wanted, so that a caller can look at the next tag.
func (x *xmlScanner) skipSpace() {
	if x.wantText || x.closing {
		return
	}
	for {
		for x.pos < x.end && isSpace(x.buf[x.pos]) {
			x.pos++
		}
		if x.pos < x.end || !x.fill() {
			return
		}
	}
}

// depth is the number of open elements.
func (x *xmlScanner) depth() int { return len(x.stackIdx) }

// decodeText decodes character data: entities, and line ends as XML
// normalises them.
func (x *xmlScanner) decodeText(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, nil
	}
	var err error
	x.scratch, err = appendDecoded(x.scratch[:0], raw)
	return x.scratch, err
}

func normalizeNewlines(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendDecoded appends raw with entities replaced and line ends
// normalised; character references are not normalised (&#13; stays \r).
func appendDecoded(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			continue
		case '&':
			j := bytes.IndexByte(raw[i+1:], ';')
			if j < 0 {
				return dst, syntaxErr("unterminated entity reference")
			}
			ent := raw[i+1 : i+1+j]
			i += j + 2
			switch string(ent) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "apos":
				dst = append(dst, '\'')
			case "quot":
				dst = append(dst, '"')
			default:
				r, ok := charRef(ent)
				if !ok {
					return dst, syntaxErr("invalid character entity &%s;", ent)
				}
				dst = utf8.AppendRune(dst, r)
			}
			continue
		}
		dst = append(dst, c)
		i++
	}
	return dst, nil
}

// charRef reads #65 or #x41 as encoding/xml does.
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ent[1] == 'x' {
		if len(ent) < 3 {
			return 0, false
		}
		n, err = strconv.ParseUint(string(ent[2:]), 16, 64)
	} else {
		n, err = strconv.ParseUint(string(ent[1:]), 10, 64)
	}
	if err != nil || n > utf8.MaxRune || !isInCharacterRange(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// isInCharacterRange is XML's Char production, as encoding/xml checks it.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// skip reads to the end of the element whose start tag was just read.
func (x *xmlScanner) skip() error {
	d := x.depth()
	keep := x.wantText
	x.wantText = false
	defer func() { x.wantText = keep }()
	for x.depth() >= d {
		if _, err := x.next(); err != nil {
			return err
		}
	}
	return nil
}
