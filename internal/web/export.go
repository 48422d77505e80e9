package web

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/dashboards"
	"github.com/plandash/plandash/internal/plan"
)

// Content types of downloads.
const (
	mimeCSV     = "text/csv; charset=utf-8"
	mimeXLSX    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mimeParquet = "application/vnd.apache.parquet"
)

func sendTable(c *fiber.Ctx, t dashboards.ExportTable, base, ext string) error {
	var buf bytes.Buffer
	switch ext {
	case "csv":
		if err := dashboards.WriteCSV(&buf, t); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, mimeCSV)
	case "xlsx":
		if err := dashboards.WriteXLSX(&buf, t); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, mimeXLSX)
	default:
		return fiber.ErrNotFound
	}
	c.Attachment(base + "." + ext)
	return c.Send(buf.Bytes())
}

func (s *Server) indicatorExport(c *fiber.Ctx) error {
	p := s.Plan()
	in := p.Indicator(c.Params("id"))
	if in == nil {
		return fiber.ErrNotFound
	}
	vm := s.computeIndicators([]*plan.Indicator{in}, s.words(c), s.public(c), false)[0]
	if vm.Err != nil {
		return vm.Err
	}
	ds := p.Datasets[in.Dataset]
	t := dashboards.SeriesTable(vm.View, s.Now().In(p.Location()), p.Organisation+", dataset "+ds.Name+" ("+ds.Title+")")
	return sendTable(c, t, in.ID, c.Params("ext"))
}

// datasetTable is a dataset's current rows as an export table.
func (s *Server) datasetTable(ctx context.Context, c *fiber.Ctx, ds *plan.Dataset) (dashboards.ExportTable, error) {
	p := s.Plan()
	rs, err := s.Backend.Rows(ctx, ds, s.public(c), 0, 0)
	if err != nil {
		return dashboards.ExportTable{}, err
	}
	t := dashboards.ExportTable{Title: ds.Title,
		About: [][2]string{{"Dataset", ds.Name}, {"As of", s.Now().In(p.Location()).Format("2006-01-02")},
			{"Source", p.Organisation + ": current rows of every import in force; see /imports for the files"}, {"Description", ds.Description}}}
	if _, n, _ := s.Backend.CurrentRows(ctx, ds); n > 0 {
		t.About = append(t.About, [2]string{"Sample data", "some rows are generated sample data, not the city's records"})
	}
	for _, col := range rs.Columns {
		t.Columns = append(t.Columns, dashboards.ExportColumn{Name: col.Name, Title: col.DisplayTitle(), Unit: col.Unit, Month: col.Type == plan.TypeMonth})
	}
	for _, r := range rs.Rows {
		row := make([]any, len(r))
		for i, v := range r {
			// Money arrives as exact text; a number cell keeps it a number.
			if rs.Columns[i].Type == plan.TypeMoney {
				if sv, ok := v.(string); ok {
					row[i] = moneyNumber(sv)
					continue
				}
			}
			row[i] = v
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func (s *Server) datasetExport(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("name")]
	if ds == nil || (s.public(c) && !ds.IsPublic()) {
		return fiber.ErrNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout*6)
	defer cancel()
	ext := c.Params("ext")
	if ext == "parquet" {
		dir, err := os.MkdirTemp("", "plandash-export-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, ds.Name+".parquet")
		if err := s.Backend.ExportParquet(ctx, ds, s.public(c), path); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, mimeParquet)
		c.Attachment(ds.Name + ".parquet")
		return c.Send(data)
	}
	t, err := s.datasetTable(ctx, c, ds)
	if err != nil {
		return err
	}
	return sendTable(c, t, ds.Name, ext)
}

// apiDatasetRows pages through a dataset's current rows.
func (s *Server) apiDatasetRows(c *fiber.Ctx) error {
	p := s.Plan()
	ds := p.Datasets[c.Params("id")]
	if ds == nil || (s.public(c) && !ds.IsPublic()) {
		return fiber.ErrNotFound
	}
	limit := c.QueryInt("limit", 100)
	if limit < 1 || limit > 1000 {
		return fiber.NewError(fiber.StatusBadRequest, "limit must be between 1 and 1000")
	}
	offset := c.QueryInt("offset", 0)
	if offset < 0 {
		return fiber.NewError(fiber.StatusBadRequest, "offset must not be negative")
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	rs, err := s.Backend.Rows(ctx, ds, s.public(c), limit, offset)
	if err != nil {
		return err
	}
	cols := make([]string, len(rs.Columns))
	for i, col := range rs.Columns {
		cols[i] = col.Name
	}
	rows := make([]map[string]any, 0, len(rs.Rows))
	for _, r := range rs.Rows {
		m := make(map[string]any, len(r))
		for i, v := range r {
			if t, ok := v.(time.Time); ok {
				v = t.Format("2006-01-02")
			}
			m[cols[i]] = v
		}
		rows = append(rows, m)
	}
	resp := fiber.Map{"dataset": ds.Name, "columns": cols, "total": rs.Total, "limit": limit, "offset": offset, "rows": rows}
	if next := offset + limit; int64(next) < rs.Total {
		resp["next"] = c.Path() + "?limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(next)
	}
	return c.JSON(resp)
}

func moneyNumber(s string) any {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return f
}
