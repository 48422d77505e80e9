package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	kflate "github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// Kind is what a file holds, found from its bytes rather than its name.
type Kind int

// Kinds of file ingest reads.
const (
	KindUnknown Kind = iota
	KindXLSX         // an Office Open XML workbook (.xlsx, .xlsm)
	KindCSV          // delimited text
)

func (k Kind) String() string {
	switch k {
	case KindXLSX:
		return "xlsx"
	case KindCSV:
		return "csv"
	}
	return "unknown"
}

// FileError is a problem with the whole file: not a spreadsheet, no header
// row, a required column missing. Message says what is wrong and what to do,
// in one line, for the person who uploaded the file.
type FileError struct {
	File    string
	Message string
}

func (e *FileError) Error() string {
	if e.File == "" {
		return e.Message
	}
	return e.File + ": " + e.Message
}

func fileErr(name, format string, args ...any) *FileError {
	return &FileError{File: name, Message: fmt.Sprintf(format, args...)}
}

// textEncoding is how a text file's bytes map to characters.
type textEncoding int

const (
	encUTF8        textEncoding = iota // with or without a BOM
	encUTF16                           // with a BOM, either byte order
	encWindows1252                     // what Excel on Windows writes for "CSV (Comma delimited)"
)

const sniffLen = 8 << 10

// readHead reads up to n bytes from the start of data.
func readHead(data io.ReaderAt, size int64, n int) ([]byte, error) {
	if size < int64(n) {
		n = int(size)
	}
	b := make([]byte, n)
	got, err := data.ReadAt(b, 0)
	if got == n {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return b[:got], nil
	}
	return nil, err
}

var (
	magicOLE  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicZip  = [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("PK\x07\x08")}
	bomUTF8   = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16L = []byte{0xFF, 0xFE}
	bomUTF16B = []byte{0xFE, 0xFF}
)

// spreadsheetExts are names that promise a binary workbook; text under such
// a name is refused rather than read as CSV, because the person uploading
// it meant something else.
var spreadsheetExts = map[string]bool{".xlsx": true, ".xlsm": true, ".xls": true, ".xlsb": true, ".ods": true, ".numbers": true}

// detect finds the kind of a file from its content. Anything ingest cannot
// read is a *FileError saying what the file is and what to do.
func detect(name string, data io.ReaderAt, size int64, unzipLimit int64) (Kind, textEncoding, error) {
	if size <= 0 {
		return KindUnknown, 0, fileErr(name, "the file is empty (0 bytes); export it again and upload the new file")
	}
	head, err := readHead(data, size, sniffLen)
	if err != nil {
		return KindUnknown, 0, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	switch {
	case bytes.HasPrefix(head, magicOLE):
		return KindUnknown, 0, oleError(name, data, size)
	case hasAnyPrefix(head, magicZip):
		return KindXLSX, 0, checkZip(name, data, size, unzipLimit)
	case bytes.HasPrefix(head, []byte("%PDF")):
		return KindUnknown, 0, fileErr(name, "this is a PDF, not a spreadsheet; export the data as .xlsx or .csv from the system that made it")
	}
	enc := encUTF8
	switch {
	case bytes.HasPrefix(head, bomUTF16L) || bytes.HasPrefix(head, bomUTF16B):
		enc = encUTF16
	case bytes.IndexByte(head, 0) >= 0:
		return KindUnknown, 0, fileErr(name, "this is not a spreadsheet or a CSV file (it holds binary data); upload an .xlsx or .csv file")
	}
	if enc == encUTF8 {
		text := strings.ToLower(string(bytes.TrimLeft(bytes.TrimPrefix(head, bomUTF8), " \t\r\n")))
		switch {
		case strings.HasPrefix(text, "<?xml") && strings.Contains(text, "urn:schemas-microsoft-com:office:spreadsheet"):
			return KindUnknown, 0, fileErr(name, "this is an Excel 2003 XML spreadsheet; open it in Excel and save it as .xlsx (Excel Workbook)")
		case strings.HasPrefix(text, "<!doctype html") || strings.HasPrefix(text, "<html") || strings.HasPrefix(text, "<table"):
			return KindUnknown, 0, fileErr(name, "this is a web page (HTML), not a spreadsheet, though some systems export it under a spreadsheet name; open it in Excel and save it as .xlsx")
		}
	}
	if spreadsheetExts[ext] {
		return KindUnknown, 0, fileErr(name, "this file is named %s but holds text, not a workbook; if it is CSV, rename it to .csv, otherwise open it in Excel and save it as .xlsx", ext)
	}
	if enc == encUTF8 && !bytes.HasPrefix(head, bomUTF8) {
		ok, err := validUTF8(data, size)
		if err != nil {
			return KindUnknown, 0, fmt.Errorf("ingest: read %s: %w", name, err)
		}
		if !ok {
			enc = encWindows1252
		}
	}
	return KindCSV, enc, nil
}

func hasAnyPrefix(b []byte, prefixes [][]byte) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

// oleError names what an OLE2 compound file (the container of Office 97-2003
// files and of password-protected Office files) most likely is.
func oleError(name string, data io.ReaderAt, size int64) error {
	has := func(s string) bool { return containsUTF16(data, size, s) }
	switch {
	case has("EncryptedPackage"):
		return fileErr(name, "this workbook is protected with a password; open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) and upload it again")
	case has("WordDocument"):
		return fileErr(name, "this is a Word document, not a spreadsheet; upload an .xlsx or .csv file")
	case has("PowerPoint Document"):
		return fileErr(name, "this is a PowerPoint file, not a spreadsheet; upload an .xlsx or .csv file")
	}
	return fileErr(name, "this is an Excel 97-2003 .xls file; open it in Excel and save it as .xlsx (Excel Workbook)")
}

// containsUTF16 reports whether the UTF-16LE form of s (how OLE2 names its
// streams) occurs in data.
func containsUTF16(data io.ReaderAt, size int64, s string) bool {
	var needle []byte
	for _, r := range s {
		needle = append(needle, byte(r), 0)
	}
	const chunk = 1 << 20
	buf := make([]byte, chunk+len(needle))
	for off := int64(0); off < size; off += chunk {
		n, err := data.ReadAt(buf, off)
		if n <= 0 {
			return false
		}
		if bytes.Contains(buf[:n], needle) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// checkZip tells an Excel workbook from the other things a zip can be, and
// refuses a workbook that unpacks beyond the limit before anything inflates.
func checkZip(name string, data io.ReaderAt, size int64, unzipLimit int64) error {
	zr, err := openZip(data, size)
	if err != nil {
		return fileErr(name, "this looks like a workbook or zip archive but it is damaged%s; download or export it again and upload the new file", damage(err))
	}
	has := func(p string) bool {
		for _, f := range zr.File {
			if strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), p) {
				return true
			}
		}
		return false
	}
	var total uint64
	for _, f := range zr.File {
		// excelize allocates each part's declared size before inflating it,
		// so a header claiming more than its data can hold is refused here.
		// Deflate inflates at most about 1032 to 1.
		c, u := f.CompressedSize64, f.UncompressedSize64
		if c > uint64(size) || (f.Method == zip.Store && u != c) || (f.Method != zip.Store && u > c*1100+1024) {
			return fileErr(name, "the workbook is damaged (its part %q claims an impossible size); open it in Excel, save it again as .xlsx and upload that", shorten(f.Name, 80))
		}
		total += u
	}
	switch {
	case has("xl/workbook.xml"):
		if total > uint64(unzipLimit) {
			return fileErr(name, "the workbook unpacks to more than %s, which is more than a data file needs; remove pictures and unused sheets, or save the data as .csv", byteSize(unzipLimit))
		}
		if err := checkParts(zr); err != nil {
			return damagedPart(name, err)
		}
		return nil
	case has("xl/workbook.bin"):
		return fileErr(name, "this is an Excel binary workbook (.xlsb); open it in Excel and save it as .xlsx (Excel Workbook)")
	case has("mimetype") && has("content.xml"):
		if zipFileHasPrefix(zr, "mimetype", "application/vnd.oasis.opendocument.spreadsheet") {
			return fileErr(name, "this is an OpenDocument spreadsheet (.ods); open it in LibreOffice Calc or Excel and save it as .xlsx")
		}
		return fileErr(name, "this is an OpenDocument file, not a spreadsheet; upload an .xlsx or .csv file")
	case has("Index/Document.iwa"):
		return fileErr(name, "this is an Apple Numbers file; in Numbers choose File > Export To > Excel and upload the .xlsx")
	case has("word/document.xml"):
		return fileErr(name, "this is a Word document, not a spreadsheet; upload an .xlsx or .csv file")
	case has("ppt/presentation.xml"):
		return fileErr(name, "this is a PowerPoint file, not a spreadsheet; upload an .xlsx or .csv file")
	}
	return fileErr(name, "this is a zip archive, not an Excel workbook; unzip it and upload the .xlsx or .csv file inside")
}

// checkParts reads each XML part of a workbook to its end, which checks it
// against its checksum, and looks at the text of the parts that hold cells.
// excelize ignores both kinds of damage: a part damaged in the middle reads
// as the bytes before the damage, and a sheet ends at its first malformed
// element, so the rows above the damage would load as if they were the
// whole file. A full XML parse here would cost half as much again as the
// read itself; the checks catch what damages real files: corrupt or cut
// short parts, and control characters or broken UTF-8 written unescaped.
// Worksheets larger than checkOnReadSize are checked as they are read
// instead, so that the sheet an import loads is inflated once.
func checkParts(zr *zip.Reader) error {
	buf := make([]byte, 64<<10)
	for _, f := range zr.File {
		n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		if !strings.HasSuffix(n, ".xml") && !strings.HasSuffix(n, ".rels") {
			continue // pictures and other binary parts hold no data
		}
		if checkedOnRead(f) {
			continue
		}
		if err := checkPart(f, holdsCells(f), buf); err != nil {
			return err
		}
	}
	return nil
}

// openZip opens a zip archive whose deflated parts inflate with
// klauspost/compress, about a third faster than the standard library's.
func openZip(data io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(data, size)
	if err == nil {
		zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	}
	return zr, err
}

// checkDeferred checks the parts of a package that checkParts left to be
// checked as they are read, for a reader that reads them otherwise
// (excelize, which reads a package whole).
func checkDeferred(data io.ReaderAt, size int64) error {
	zr, err := openZip(data, size)
	if err != nil {
		return err
	}
	var buf []byte
	for _, f := range zr.File {
		if !checkedOnRead(f) {
			continue
		}
		if buf == nil {
			buf = make([]byte, 64<<10)
		}
		if err := checkPart(f, true, buf); err != nil {
			return err
		}
	}
	return nil
}

// damagedPart is the message for damage that checkParts or a
// checkingReader found.
func damagedPart(name string, err error) *FileError {
	return fileErr(name, "the workbook is damaged%s; export or download it again and upload the new file", damage(err))
}

// Damage checkParts finds.
var (
	errCorrupt = errors.New("ingest: corrupt zip part")
	errXMLText = errors.New("ingest: malformed XML")
)

func holdsCells(f *zip.File) bool {
	n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
	return strings.HasPrefix(n, "xl/worksheets/") || n == "xl/sharedstrings.xml"
}

// checkOnReadSize is the size above which a worksheet is not checked
// before it is read but while the fast reader reads it (checkingReader),
// so that a large sheet is inflated once rather than twice.
const checkOnReadSize = 8 << 20

// checkedOnRead says whether the part is left to be checked as it is read.
// Every reader of such a part wraps it in a checkingReader and reads it to
// its end, or checks it with checkPart first.
func checkedOnRead(f *zip.File) bool {
	n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
	return strings.HasPrefix(n, "xl/worksheets/") && strings.HasSuffix(n, ".xml") && f.UncompressedSize64 > checkOnReadSize
}

func checkPart(f *zip.File, cells bool, buf []byte) error {
	rc, err := f.Open()
	if err != nil {
		return err // a compression method Go does not know
	}
	defer rc.Close()
	cr := &checkingReader{r: rc, pc: partChecker{cells: cells}}
	for {
		_, err := cr.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// partChecker looks at the text of a part as it streams past: no control
// characters XML forbids, valid UTF-8 when the part is UTF-8, and a root
// element that is closed at the end.
type partChecker struct {
	cells       bool
	started     bool
	bad, isUTF8 bool
	head, tail  []byte // the first bytes, and the last 64
	carry       []byte // an incomplete rune held over from the last chunk
	join        []byte
}

func (pc *partChecker) feed(b []byte) {
	if !pc.cells || pc.bad || len(b) == 0 {
		return
	}
	if !pc.started {
		// The encoding is decided once the declaration has been seen whole
		// (or there is none), however the first bytes were cut into reads.
		pc.head = append(pc.head, b...)
		h := bytes.TrimPrefix(pc.head, bomUTF8)
		if len(pc.head) < 512 && (bytes.HasPrefix(h, []byte("<?xml")) || bytes.HasPrefix([]byte("<?xml"), h)) && !bytes.Contains(h, []byte("?>")) {
			return
		}
		pc.start()
		return
	}
	pc.check(b)
}

// start decides the part's encoding from its first bytes and checks them.
func (pc *partChecker) start() {
	pc.started, pc.isUTF8 = true, declaresUTF8(pc.head)
	first := pc.head
	pc.head = nil
	pc.check(first)
}

func (pc *partChecker) check(b []byte) {
	if pc.bad {
		return
	}
	if len(pc.carry) > 0 {
		pc.join = append(append(pc.join[:0], pc.carry...), b...)
		b = pc.join
	}
	if len(pc.head) < 512 {
		pc.head = append(pc.head, b[:min(len(b), 512-len(pc.head))]...)
	}
	keep := 0
	if pc.isUTF8 {
		keep = incompleteRune(b)
	}
	pc.bad = !xmlText(b[:len(b)-keep], pc.isUTF8)
	body := b[:len(b)-keep]
	if len(body) >= 64 {
		pc.tail = append(pc.tail[:0], body[len(body)-64:]...)
	} else {
		pc.tail = append(pc.tail, body...)
		pc.tail = pc.tail[max(0, len(pc.tail)-64):]
	}
	pc.carry = append(pc.carry[:0], b[len(b)-keep:]...)
}

// result is errXMLText when the part as a whole failed the checks.
func (pc *partChecker) result() error {
	if !pc.cells {
		return nil
	}
	if !pc.started {
		pc.start()
	}
	if pc.bad || len(pc.carry) > 0 || !closesRoot(pc.head, pc.tail) {
		return errXMLText
	}
	return nil
}

// checkingReader passes a part through a partChecker. The zip reader
// checks the part against its checksum once it has read it all: at the end
// the reader returns io.EOF only if both found nothing wrong. The damage
// reported first is the zip's own.
type checkingReader struct {
	r  io.Reader
	pc partChecker
}

func (c *checkingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pc.feed(p[:n])
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		if rerr := c.pc.result(); rerr != nil {
			return n, rerr
		}
	default:
		err = fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return n, err
}

// incompleteRune is how many bytes at the end of b begin a rune that b cuts.
func incompleteRune(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return len(b) - i
			}
			break
		}
	}
	return 0
}

// xmlText reports whether b is without the control characters XML
// forbids, and, if isUTF8, valid UTF-8.
func xmlText(b []byte, isUTF8 bool) bool {
	// Eight bytes at a time: a byte below 0x20 sets its high bit in
	// (x - 0x20…) &^ x, and only such a word is looked at byte by byte
	// (tabs and line ends are allowed).
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-0x2020202020202020)&^x&0x8080808080808080 != 0 && !noControls(b[i:i+8]) {
			return false
		}
	}
	return noControls(b[i:]) && (!isUTF8 || utf8.Valid(b))
}

// noControls reports whether b has no control character but tab and line
// ends.
func noControls(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// declaresUTF8 reports whether the XML document starting with b is UTF-8:
// it declares no other encoding (excelize reads the others too).
func declaresUTF8(b []byte) bool {
	b = bytes.TrimPrefix(b, bomUTF8)
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return true
	}
	decl := b[:max(0, bytes.Index(b, []byte("?>")))]
	i := bytes.Index(decl, []byte("encoding="))
	if i < 0 || i+len("encoding=")+1 >= len(decl) {
		return true
	}
	v := decl[i+len("encoding="):]
	if j := bytes.IndexByte(v[1:], v[0]); j >= 0 {
		v = v[1 : j+1]
	}
	return strings.EqualFold(string(v), "utf-8") || strings.EqualFold(string(v), "utf8")
}

// closesRoot reports whether an XML document whose first bytes are head
// and last bytes are tail ends by closing its root element.
func closesRoot(head, tail []byte) bool {
	tail = bytes.TrimRight(tail, " \t\r\n")
	// The root is the first element: after the declaration and comments.
	for {
		i := bytes.IndexByte(head, '<')
		if i < 0 || i+1 >= len(head) {
			return false
		}
		head = head[i+1:]
		if head[0] != '?' && head[0] != '!' {
			break
		}
	}
	end := bytes.IndexAny(head, " \t\r\n/>")
	if end <= 0 {
		return false
	}
	root := head[:end]
	if gt := bytes.IndexByte(head, '>'); gt > 0 && head[gt-1] == '/' {
		return bytes.HasSuffix(tail, []byte("/>")) // <sst count="0"/>
	}
	if !bytes.HasSuffix(tail, []byte(">")) {
		return false
	}
	tail = bytes.TrimRight(tail[:len(tail)-1], " \t\r\n")
	return bytes.HasSuffix(tail, append([]byte("</"), root...))
}

// damage says in words, for a message, what err found wrong with a damaged
// file: " (...)", or "" when there is nothing more useful to say. Go's own
// error text is no help to the person who uploaded the file.
func damage(err error) string {
	var se *xml.SyntaxError
	var ce flate.CorruptInputError
	var kce kflate.CorruptInputError
	switch {
	case errors.Is(err, errCorrupt), errors.Is(err, zip.ErrChecksum), errors.As(err, &ce), errors.As(err, &kce), errors.Is(err, io.ErrUnexpectedEOF):
		return " (its compressed contents are corrupt)"
	case errors.Is(err, zip.ErrAlgorithm):
		return " (it is compressed in a way Excel does not use)"
	case errors.Is(err, zip.ErrFormat):
		return " (it is not a complete zip archive: it may have been cut short while downloading or copying)"
	case errors.Is(err, errXMLText), errors.As(err, &se):
		return " (part of it is not valid XML or is cut short)"
	case errors.Is(err, excelize.ErrMaxRows):
		return " (a sheet goes past row 1,048,576, the most Excel allows: split the rows over several files, or save them as .csv)"
	}
	return ""
}

func zipFileHasPrefix(zr *zip.Reader, name, prefix string) bool {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false
		}
		defer rc.Close()
		b := make([]byte, len(prefix))
		n, _ := io.ReadFull(rc, b)
		return string(b[:n]) == prefix
	}
	return false
}

// validUTF8 reads the whole of data and reports whether it is UTF-8.
func validUTF8(data io.ReaderAt, size int64) (bool, error) {
	const chunk = 256 << 10
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0
	for off := int64(0); off < size; {
		n, err := data.ReadAt(buf[carry:carry+chunk], off)
		if n <= 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return false, err
			}
			break
		}
		off += int64(n)
		b := buf[:carry+n]
		// Hold back an incomplete rune at the end for the next chunk.
		keep := 0
		if off < size {
			for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
				if utf8.RuneStart(b[i]) {
					if !utf8.FullRune(b[i:]) {
						keep = len(b) - i
					}
					break
				}
			}
		}
		if !utf8.Valid(b[:len(b)-keep]) {
			return false, nil
		}
		copy(buf, b[len(b)-keep:])
		carry = keep
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
	}
	return carry == 0 || utf8.Valid(buf[:carry]), nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
