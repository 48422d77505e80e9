package main

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/plandash/plandash/internal/plan"
	"github.com/plandash/plandash/internal/store"
)

// The ridership rows: every month from January 1986 (480 months) for each
// mode, type of service and route, so every row has its own key.
var (
	modes    = []string{"MB", "DR", "CB", "VP"}
	services = []string{"DO", "PT"}
	// The template's header: each column's title.
	ridershipHeader = []string{"Month", "Mode", "Type of service", "Route", "Unlinked passenger trips",
		"Vehicle revenue miles", "Vehicle revenue hours", "Vehicles operated in maximum service"}
)

const ridershipMonths = 480

// wideHeader are the columns a wide workbook adds after the template's:
// figures an agency's own export carries and the template does not ask
// for, so the import reports them as ignored. They make a workbook of
// 1,000,000 rows as large as 100 MB.
var wideHeader = []string{"Passenger miles traveled", "Fare revenue", "Operating expenses", "Capital expenses",
	"Average trip length", "Average fare", "Cost per trip", "Cost per revenue hour"}

type ridershipRow struct {
	month                      time.Time
	mode, service              string
	trips, vehicles            int
	miles, hours               float64
	modeIdx, serviceIdx, route int
}

func ridershipAt(i int) ridershipRow {
	r := ridershipRow{
		month:      time.Date(1986, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i%ridershipMonths, 0),
		modeIdx:    (i / ridershipMonths) % len(modes),
		serviceIdx: (i / (ridershipMonths * len(modes))) % len(services),
		route:      i/(ridershipMonths*len(modes)*len(services)) + 1,
		trips:      50000 + (i*7919)%40000,
		miles:      float64(100000+(i*104729)%90000) + 0.5,
		hours:      float64(8000+(i*31)%4000) + 0.25,
		vehicles:   20 + i%15,
	}
	r.mode, r.service = modes[r.modeIdx], services[r.serviceIdx]
	return r
}

// excelSerial is the 1900-system serial of a day.
func excelSerial(t time.Time) int {
	return int(t.Sub(time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// writeRidershipXLSX writes n rows in the city's transit_ridership template
// format: a "Transit ridership" sheet whose first row holds the column
// titles, months as dates (serial numbers with a date format), text as
// shared strings, and an Instructions sheet; compressed as Excel does
// (deflate, default level). With wide, each row also has the figures of
// wideHeader, with two decimals.
func writeRidershipXLSX(path string, n int, wide bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	put := func(name, body string) error {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, body)
		return err
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook ` + ns + ` xmlns:r="` + rel + `"><sheets><sheet name="Transit ridership" sheetId="1" r:id="rId1"/><sheet name="Instructions" sheetId="2" r:id="rId2"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="` + rel + `/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="` + rel + `/styles" Target="styles.xml"/><Relationship Id="rId4" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet ` + ns + `><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
	}
	for _, p := range parts {
		if err := put(p.name, p.body); err != nil {
			return err
		}
	}
	// Shared strings: the header, modes, services, routes, instructions.
	var sst []string
	index := map[string]int{}
	str := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(sst)
		sst = append(sst, s)
		return len(sst) - 1
	}
	header := ridershipHeader
	if wide {
		header = append(append([]string(nil), ridershipHeader...), wideHeader...)
	}
	for _, h := range header {
		str(h)
	}
	last := string(rune('A' + len(header) - 1))
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	sw := bufio.NewWriterSize(w, 256<<10)
	sw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<worksheet " + ns + `><dimension ref="A1:` + last + strconv.Itoa(n+1) + `"/><sheetData>`)
	sw.WriteString(`<row r="1">`)
	for c, h := range header {
		fmt.Fprintf(sw, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+c, str(h))
	}
	sw.WriteString(`</row>`)
	var b []byte
	for i := range n {
		r := ridershipAt(i)
		line := strconv.Itoa(i + 2)
		b = b[:0]
		b = append(b, `<row r="`...)
		b = append(b, line...)
		b = append(b, `" spans="1:`...)
		b = strconv.AppendInt(b, int64(len(header)), 10)
		b = append(b, `">`...)
		cell := func(col byte, attrs, v string) {
			b = append(b, `<c r="`...)
			b = append(b, col)
			b = append(b, line...)
			b = append(b, '"')
			b = append(b, attrs...)
			b = append(b, `><v>`...)
			b = append(b, v...)
			b = append(b, `</v></c>`...)
		}
		cell('A', ` s="1"`, strconv.Itoa(excelSerial(r.month)))
		cell('B', ` t="s"`, strconv.Itoa(str(r.mode)))
		cell('C', ` t="s"`, strconv.Itoa(str(r.service)))
		cell('D', ` t="s"`, strconv.Itoa(str("Route "+strconv.Itoa(r.route))))
		cell('E', ``, strconv.Itoa(r.trips))
		cell('F', ` s="2"`, strconv.FormatFloat(r.miles, 'f', -1, 64))
		cell('G', ` s="2"`, strconv.FormatFloat(r.hours, 'f', -1, 64))
		cell('H', ``, strconv.Itoa(r.vehicles))
		if wide {
			for c := range wideHeader {
				// Figures that differ from row to row, as real ones do.
				x := uint64(i)*2654435761 + uint64(c)*40503
				x ^= x >> 13
				v := float64(x%10000000) / 100
				cell(byte('I'+c), ` s="2"`, strconv.FormatFloat(v, 'f', 2, 64))
			}
		}
		b = append(b, `</row>`...)
		sw.Write(b)
	}
	sw.WriteString(`</sheetData></worksheet>`)
	if err := sw.Flush(); err != nil {
		return err
	}
	w, err = zw.Create("xl/worksheets/sheet2.xml")
	if err != nil {
		return err
	}
	instructions := []string{"How to fill in this template", "One row per month, mode, type of service and route.", "Months are dates; counts are whole numbers."}
	sw = bufio.NewWriter(w)
	sw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<worksheet " + ns + `><sheetData>`)
	for i, s := range instructions {
		fmt.Fprintf(sw, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>`, i+1, i+1, str(s))
	}
	sw.WriteString(`</sheetData></worksheet>`)
	if err := sw.Flush(); err != nil {
		return err
	}
	w, err = zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	sw = bufio.NewWriter(w)
	fmt.Fprintf(sw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n<sst "+ns+` count="%d" uniqueCount="%d">`, len(sst), len(sst))
	for _, s := range sst {
		sw.WriteString("<si><t>" + s + "</t></si>")
	}
	sw.WriteString("</sst>")
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeRidershipCSV writes the same rows as CSV with the dataset's column
// names, months as 2024-07.
func writeRidershipCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	bw.WriteString("month,mode,type_of_service,route,unlinked_trips,vehicle_revenue_miles,vehicle_revenue_hours,vehicles_operated\n")
	var b []byte
	for i := range n {
		r := ridershipAt(i)
		b = b[:0]
		b = r.month.AppendFormat(b, "2006-01")
		b = append(b, ',')
		b = append(b, r.mode...)
		b = append(b, ',')
		b = append(b, r.service...)
		b = append(b, ",Route "...)
		b = strconv.AppendInt(b, int64(r.route), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.trips), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.miles, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.hours, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.vehicles), 10)
		b = append(b, '\n')
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// buildLargeDatabase fills a new database with revenueRows revenue rows and
// ridershipRows ridership rows through DuckDB SQL (INSERT ... SELECT FROM
// range), each dataset under a ledger row of its own, as a real import
// leaves it, so that plandash serve serves it as it would real data.
func buildLargeDatabase(ctx context.Context, path string, p *plan.Plan, revenueRows, ridershipRows int) error {
	st, err := store.Open(ctx, path, store.Options{Threads: 2, MemoryLimit: "2GB", TimeZone: p.Location().String()})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.EnsureDatasets(ctx, p.Datasets); err != nil {
		return err
	}
	ledger := func(dataset, file string, rows int, fill func(id int64) error) error {
		sum := sha256.Sum256([]byte(file))
		now := time.Now().UTC()
		rec := &store.Import{Datasets: []string{dataset}, Profile: dataset, FileName: file, SHA256: hex.EncodeToString(sum[:]),
			Source: "command line", User: "plandash-bench", Started: now}
		if _, err := st.BeginImport(ctx, rec); err != nil {
			return err
		}
		if err := fill(rec.ID); err != nil {
			return fmt.Errorf("%s: %w", dataset, err)
		}
		rec.Status, rec.Finished, rec.RowsRead, rec.RowsLoaded = store.StatusLoaded, time.Now().UTC(), int64(rows), int64(rows)
		rec.Message = fmt.Sprintf("%d rows loaded into %s (generated by plandash-bench)", rows, dataset)
		return st.FinishImport(ctx, rec)
	}
	db := st.DB()
	// Revenue: 316 months from July 2000, 5 funds, 20 departments, 10
	// categories and 32 sources make every key different.
	err = ledger("revenue", "bench-revenue.xlsx", revenueRows, func(id int64) error {
		_, err := db.ExecContext(ctx, `INSERT INTO ds_revenue (fiscal_year, month, fund, department, category, source, budget, actual, estimate, proposed,
			_import_id, _sheet, _row, _sample, _superseded_by)
		SELECT CAST(year(m) + CASE WHEN month(m) >= 7 THEN 1 ELSE 0 END AS INTEGER), m,
			['General Fund', 'Special Revenue Funds', 'Enterprise Funds', 'Capital Projects', 'Internal Service'][f + 1],
			'Department ' || d, 'Category ' || c, 'Source ' || s,
			CAST(100000 + (i * 7919) % 900000 AS DECIMAL(18,2)),
			CAST(((i * 104729) % 9000000) / 100.0 AS DECIMAL(18,2)),
			NULL, NULL, ?, 'Revenue', CAST(i % 1000000 + 2 AS INTEGER), false, NULL
		FROM (SELECT i, CAST(DATE '2000-07-01' + to_months(CAST(i % 316 AS INTEGER)) AS DATE) AS m,
			(i // 316) % 5 AS f, (i // 1580) % 20 AS d, (i // 31600) % 10 AS c, i // 316000 AS s
			FROM range(?) t(i))`, id, revenueRows)
		return err
	})
	if err != nil {
		return err
	}
	err = ledger("transit_ridership", "bench-ridership.xlsx", ridershipRows, func(id int64) error {
		_, err := db.ExecContext(ctx, `INSERT INTO ds_transit_ridership (month, mode, type_of_service, route, unlinked_trips,
			vehicle_revenue_miles, vehicle_revenue_hours, vehicles_operated, _import_id, _sheet, _row, _sample, _superseded_by)
		SELECT CAST(DATE '1986-01-01' + to_months(CAST(i % 480 AS INTEGER)) AS DATE),
			['MB', 'DR', 'CB', 'VP'][(i // 480) % 4 + 1], ['DO', 'PT'][(i // 1920) % 2 + 1], 'Route ' || (i // 3840 + 1),
			50000 + (i * 7919) % 40000, 100000.5 + (i * 104729) % 90000, 8000.25 + (i * 31) % 4000, 20 + i % 15,
			?, 'Transit ridership', CAST(i + 2 AS INTEGER), false, NULL
		FROM range(?) t(i)`, id, ridershipRows)
		return err
	})
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "CHECKPOINT")
	return err
}
