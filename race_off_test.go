//go:build !race

package ringo_test

const raceEnabled = false
