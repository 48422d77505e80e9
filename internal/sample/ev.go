package sample

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// evOpenings is how many public stations open each year: about ten in the
// main ZIP code by 2022, faster growth after. Stations are laid out through
// 2030 and each file keeps those open by its last complete month.
var evOpenings = []struct{ year, n int }{
	{2012, 1}, {2013, 1}, {2014, 1}, {2015, 1}, {2016, 1}, {2017, 1},
	{2018, 1}, {2019, 1}, {2020, 1}, {2021, 1}, {2022, 2},
	{2023, 6}, {2024, 8}, {2025, 10}, {2026, 10}, {2027, 10},
	{2028, 8}, {2029, 8}, {2030, 8},
}

// evStreet is a street of the city: east-west streets sit at a latitude,
// north-south ones at a longitude.
type evStreet struct {
	name     string
	eastWest bool
	at       float64
}

var evStreets = []evStreet{
	{"Imperial Hwy", true, 33.9170},
	{"Firestone Blvd", true, 33.9235},
	{"Rosecrans Ave", true, 33.9020},
	{"Alondra Blvd", true, 33.8875},
	{"Excelsior Dr", true, 33.9095},
	{"Foster Rd", true, 33.8950},
	{"San Antonio Dr", true, 33.9125},
	{"Norwalk Blvd", false, -118.0817},
	{"Pioneer Blvd", false, -118.0890},
	{"Studebaker Rd", false, -118.1010},
	{"Bloomfield Ave", false, -118.0640},
	{"Shoemaker Ave", false, -118.0555},
	{"Carmenita Rd", false, -118.0465},
	{"Hoxie Ave", false, -118.0720},
}

// Kinds of site, by owner type. %s is the street's name without its suffix,
// or the city's name.
var (
	evPublicSites  = []string{"%s Civic Center", "%s Transit Center", "%s Park", "%s Public Library", "%s Community Center"}
	evPrivateSites = []string{"%s Plaza", "%s Marketplace", "%s Medical Offices", "%s Apartments", "%s Business Park", "%s Auto Center", "%s Shopping Center", "%s Hotel"}
)

// evStation is a station before it is cut to a file's dates.
type evStation struct {
	id         int
	name, addr string
	zip        string
	lat, lon   float64
	l2, dc     int
	network    string
	open       time.Time
	owner      string
}

// evStations lays out every sample station, oldest first. The list does not
// depend on the as-of date.
func evStations(city string, zips []string) []evStation {
	r := stream("ev_chargers")
	epoch := time.Date(2012, time.January, 1, 0, 0, 0, 0, time.UTC)
	var out []evStation
	names := map[string]int{}
	ids := map[int]bool{}
	i := 0
	for _, y := range evOpenings {
		for range y.n {
			// Twelve draws a station, always.
			day := r.Float64()
			street := evStreets[r.IntN(len(evStreets))]
			number := 10000 + r.IntN(7000)
			along := r.Float64()
			across := uniform(r, -0.0015, 0.0015)
			kind := r.Float64()
			ownerRoll := r.Float64()
			netRoll := r.Float64()
			l2Roll := r.Float64()
			dcRoll := r.Float64()
			zipRoll := r.Float64()
			idJitter := r.IntN(900)

			first := time.Date(y.year, time.January, 1, 0, 0, 0, 0, time.UTC)
			days := first.AddDate(1, 0, 0).Sub(first).Hours() / 24
			open := first.AddDate(0, 0, int(day*days))

			s := evStation{open: open, addr: fmt.Sprintf("%d %s", number, street.name)}
			if street.eastWest {
				s.lat = street.at + across
				s.lon = -118.1040 + along*0.0580
			} else {
				s.lat = 33.8860 + along*0.0490
				s.lon = street.at + across
			}
			s.lat, s.lon = round(s.lat, 6), round(s.lon, 6)

			switch {
			case ownerRoll < 0.25:
				s.owner = "LG"
			case ownerRoll < 0.95 || y.year < 2019:
				s.owner = "P"
			default:
				// Utility-owned sites came with the utility's make-ready programs.
				s.owner = "T"
			}
			base := street.name[:len(street.name)-len(suffix(street.name))]
			switch s.owner {
			case "LG":
				place := base
				if city != "" && kind < 0.4 {
					place = city
				}
				s.name = fmt.Sprintf(evPublicSites[int(kind*float64(len(evPublicSites)))], place)
			case "T":
				s.name = base + " Charging Hub"
			default:
				s.name = fmt.Sprintf(evPrivateSites[int(kind*float64(len(evPrivateSites)))], base)
			}
			if n := names[s.name]; n > 0 {
				names[s.name] = n + 1
				s.name = fmt.Sprintf("%s %d", s.name, n+1)
			} else {
				names[s.name] = 1
			}

			// Level 2 only at first; fast chargers from the networks that sell them.
			early := y.year < 2018
			switch {
			case s.owner == "LG" || s.owner == "T":
				s.network = "ChargePoint Network"
				if netRoll < 0.3 && s.owner == "LG" {
					s.network = "Non-Networked"
				}
			case netRoll < 0.4:
				s.network = "ChargePoint Network"
			case netRoll < 0.65:
				s.network = "Non-Networked"
			case netRoll < 0.85 || y.year < 2019:
				s.network = "EVgo Network"
			default:
				s.network = "Electrify America"
			}
			switch {
			case early:
				s.l2 = 1 + int(l2Roll*2)
			case y.year < 2023:
				s.l2 = 2 + int(l2Roll*3)
			default:
				// Mostly small sites, now and then a lot of eight.
				s.l2 = 1 + int(l2Roll*l2Roll*8)
			}
			switch s.network {
			case "EVgo Network":
				s.l2 = min(s.l2, 2)
				s.dc = 1 + int(dcRoll*2)
				if !early {
					s.dc = 2 + int(dcRoll*3)
				}
			case "Electrify America":
				s.l2 = 1
				s.dc = 4
			default:
				if !early && dcRoll < 0.1 {
					s.dc = 1
				}
			}

			// The first stations sit in the main ZIP code but two.
			if len(zips) > 0 {
				s.zip = zips[0]
				other := zipRoll < 0.08
				if i < 12 {
					other = i == 3 || i == 8
				}
				if other && len(zips) > 1 {
					s.zip = zips[1+int(zipRoll*1000)%(len(zips)-1)]
				}
			}

			id := 38000 + int(open.Sub(epoch).Hours()/24)*59 + idJitter
			for ids[id] {
				id++
			}
			ids[id] = true
			s.id = id
			out = append(out, s)
			i++
		}
	}
	slices.SortStableFunc(out, func(a, b evStation) int { return a.open.Compare(b.open) })
	return out
}

// suffix is the last word of a street name (Blvd, Ave) with its space.
func suffix(street string) string {
	for i := len(street) - 1; i >= 0; i-- {
		if street[i] == ' ' {
			return street[i:]
		}
	}
	return ""
}

// evRows are the public stations open by the last complete month, one row
// each, sorted by open date. A station that opened in the last three months
// is sometimes still listed as planned (P), as the station locator does.
func evRows(w window) []row {
	recent := w.last.AddDate(0, -3, 0)
	var rows []row
	stations := evStations(w.place.City, w.place.Zips)
	for i, s := range stations {
		if s.open.After(w.last) {
			continue
		}
		status := "E"
		if s.open.After(recent) && i%2 == 1 {
			status = "P"
		}
		rows = append(rows, row{
			"station_id":    text(strconv.Itoa(s.id)),
			"name":          text(s.name),
			"address":       text(s.addr),
			"city":          text(w.place.City),
			"state":         text(cmp.Or(w.place.State, "CA")),
			"zip":           text(s.zip),
			"latitude":      number(s.lat, 6),
			"longitude":     number(s.lon, 6),
			"level2_ports":  integer(s.l2),
			"dc_fast_ports": integer(s.dc),
			"network":       text(s.network),
			"open_date":     text(dateKey(s.open)),
			"owner_type":    text(s.owner),
			"status":        text(status),
		})
	}
	return rows
}
