package rules

import (
	"sort"
	"strconv"
)

func sortStrings(s []string) { sort.Strings(s) }

func parsePositive(s string) (int, error) { return strconv.Atoi(s) }
