package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
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
	zr, err := zip.NewReader(data, size)
	if err != nil {
		return fileErr(name, "this looks like a zip archive or workbook but it is damaged (%v); open it in Excel, save it again as .xlsx and upload that", err)
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
