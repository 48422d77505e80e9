package web

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/plandash/plandash/internal/imports"
)

type apiDataset struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Mode        string    `json:"mode"`
	Public      bool      `json:"public"`
	CurrentRows int64     `json:"current_rows"`
	SampleRows  int64     `json:"sample_rows"`
	LastImport  *apiImp   `json:"last_import,omitempty"`
	Columns     []apiCol  `json:"columns"`
	Updated     time.Time `json:"-"`
}

type apiCol struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	Public   bool   `json:"public"`
}

// apiDatasets lists the datasets a viewer may see, with row counts and
// their last import; anonymous viewers get public datasets and columns only.
func (s *Server) apiDatasets(c *fiber.Ctx) error {
	p := s.Plan()
	public := s.public(c)
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	names := make([]string, 0, len(p.Datasets))
	for n := range p.Datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []apiDataset{}
	for _, n := range names {
		ds := p.Datasets[n]
		if public && !ds.IsPublic() {
			continue
		}
		d := apiDataset{ID: ds.Name, Title: ds.Title, Description: ds.Description, Mode: ds.Mode, Public: ds.IsPublic()}
		for _, col := range ds.Columns {
			if public && !col.IsPublic() {
				continue
			}
			d.Columns = append(d.Columns, apiCol{Name: col.Name, Title: col.DisplayTitle(), Type: col.Type, Required: col.Required, Public: col.IsPublic()})
		}
		total, sample, err := s.Backend.CurrentRows(ctx, ds)
		if err != nil {
			return err
		}
		d.CurrentRows, d.SampleRows = total, sample
		if ims, err := s.Backend.Feeding(ctx, ds); err == nil && len(ims) > 0 {
			im := ims[0]
			d.LastImport = &apiImp{ID: im.ID, File: im.FileName, SHA256: im.SHA256, Source: im.Source, Started: im.Started,
				Rows: im.RowsLoaded, Sample: im.Sample, Datasets: im.Datasets}
		}
		out = append(out, d)
	}
	return c.JSON(fiber.Map{"datasets": out})
}

// apiRecord is a ledger row in the API, with its report when it has one.
type apiRecord struct {
	*imports.Record
	Report json.RawMessage `json:"report,omitempty"`
}

func (s *Server) apiImports(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	recs, err := s.Importer.History(ctx, c.Query("dataset"), c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	out := make([]apiRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, apiRecord{Record: r})
	}
	return c.JSON(fiber.Map{"imports": out})
}

func (s *Server) apiImport(c *fiber.Ctx) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.QueryTimeout)
	defer cancel()
	rec, err := s.Importer.Get(ctx, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fiber.ErrNotFound
	}
	return c.JSON(apiRecord{Record: rec, Report: rec.Report})
}

// apiImportPost imports a multipart file the way the upload page does, in
// one call: 200 with the report when it loaded (or would, for dry_run=1),
// 422 with the report when it was rejected.
func (s *Server) apiImportPost(c *fiber.Ctx) error {
	name, path, err := s.readUpload(c)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dry := c.FormValue("dry_run")
	profile, set, force := uploadOptions(c)
	rep, err := s.importUpload(ctx, path, imports.Request{Name: name, Dataset: strings.TrimSpace(c.FormValue("dataset")),
		Profile: profile, Set: set, Force: force, Source: imports.SourceUpload, User: userName(c, s), DryRun: dry == "1" || dry == "true"})
	if err != nil {
		return err
	}
	if !rep.DryRun {
		s.audit(c, userName(c, s), "import", name+": "+rep.Status)
	}
	if !rep.OK() {
		return c.Status(fiber.StatusUnprocessableEntity).JSON(rep)
	}
	return c.JSON(rep)
}
