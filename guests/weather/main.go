// Command weather is a json-stdio guest for langchain_wasm: it reads {"city": ..., "units": ...} on stdin and
// writes the current (fixed, bundled) weather for that city as one JSON object on stdout. There is no network:
// the table is weather_table.json, embedded at build time, so the Go source and the JSON cannot drift apart.
//
// Exit status: 0 on success, 1 on bad input (unknown city, malformed JSON, missing or mistyped fields),
// 2 on an internal error. Errors are one line on stderr.
package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:embed weather_table.json
var tableJSON []byte

// entry is one row of weather_table.json (metric units: degrees Celsius and metres per second).
type entry struct {
	Country     string  `json:"country"`
	Temperature float64 `json:"temperature"`
	Condition   string  `json:"condition"`
	Humidity    int     `json:"humidity"`
	WindSpeed   float64 `json:"wind_speed"`
}

// report is the output object; field order here is the key order on stdout.
type report struct {
	City        string  `json:"city"`
	Country     string  `json:"country"`
	Temperature float64 `json:"temperature"`
	Units       string  `json:"units"`
	Condition   string  `json:"condition"`
	Humidity    int     `json:"humidity"`
	WindSpeed   float64 `json:"wind_speed"`
}

type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// maxCityLength bounds the "city" field (in Unicode code points, before trimming), as input.schema.json does.
const maxCityLength = 100

// metersPerSecondToMph is exact: 1 mph = 0.44704 m/s.
const metersPerSecondToMph = 1 / 0.44704

// round1 rounds to one decimal place, halves away from zero.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

func loadTable() (map[string]entry, error) {
	var table map[string]entry
	dec := json.NewDecoder(strings.NewReader(string(tableJSON)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&table); err != nil {
		return nil, fmt.Errorf("bundled weather table is invalid: %v", err)
	}
	return table, nil
}

func parseInput(r io.Reader) (city, units string, err error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return "", "", badInput(`empty input: expected a JSON object like {"city": "Paris"}`)
		}
		return "", "", badInput("malformed JSON input: %v", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return "", "", badInput("malformed JSON input: unexpected data after the JSON object")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return "", "", badInput(`input must be a JSON object like {"city": "Paris", "units": "metric"}`)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "city" && k != "units" {
			return "", "", badInput("unknown field %q: only \"city\" and \"units\" are accepted", k)
		}
	}
	c, present := obj["city"]
	if !present {
		return "", "", badInput(`missing required field "city"`)
	}
	city, ok = c.(string)
	if !ok {
		return "", "", badInput(`field "city" must be a string`)
	}
	if utf8.RuneCountInString(city) > maxCityLength {
		return "", "", badInput(`field "city" is longer than %d characters`, maxCityLength)
	}
	city = strings.TrimSpace(city)
	if city == "" {
		return "", "", badInput(`field "city" must not be empty`)
	}
	units = "metric"
	if u, present := obj["units"]; present {
		s, ok := u.(string)
		if !ok || (s != "metric" && s != "imperial") {
			return "", "", badInput(`field "units" must be "metric" or "imperial"`)
		}
		units = s
	}
	return city, units, nil
}

func lookup(table map[string]entry, city string) (string, entry, bool) {
	want := strings.ToLower(city)
	for name, e := range table {
		if strings.ToLower(name) == want {
			return name, e, true
		}
	}
	return "", entry{}, false
}

func knownCities(table map[string]entry) string {
	names := make([]string, 0, len(table))
	for name := range table {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func run(stdin io.Reader, stdout io.Writer) error {
	table, err := loadTable()
	if err != nil {
		return err
	}
	city, units, err := parseInput(stdin)
	if err != nil {
		return err
	}
	name, e, ok := lookup(table, city)
	if !ok {
		return badInput("unknown city %q; known cities: %s", city, knownCities(table))
	}
	out := report{
		City:        name,
		Country:     e.Country,
		Temperature: round1(e.Temperature),
		Units:       units,
		Condition:   e.Condition,
		Humidity:    e.Humidity,
		WindSpeed:   round1(e.WindSpeed),
	}
	if units == "imperial" {
		out.Temperature = round1(e.Temperature*9/5 + 32)
		out.WindSpeed = round1(e.WindSpeed * metersPerSecondToMph)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("cannot encode output: %v", err)
	}
	if _, err := stdout.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("cannot write output: %v", err)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "weather: "+oneLine(err.Error()))
		var ie *inputError
		if errors.As(err, &ie) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}
