package provider

import (
	"sort"
	"strings"
)

func joinSorted(r Registry) string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return join(names)
}

func join(names []string) string { return strings.Join(names, ", ") }
