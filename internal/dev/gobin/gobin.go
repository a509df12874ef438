// Package gobin reads what a built Go binary links: the names of its
// functions, from the function table (.gopclntab) that -s leaves in place.
// checkbuild refuses packages by it; make bench builds each function's
// floor from the SDK operations it finds.
package gobin

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
)

// Funcs are the functions of the ELF binary at path, by their full names
// ("github.com/aws/aws-sdk-go-v2/service/dynamodb.(*Client).PutItem").
func Funcs(path string) ([]gosym.Func, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("not an ELF binary: %w", err)
	}
	defer f.Close()
	return FuncsOf(f)
}

// FuncsOf is Funcs of an open ELF file.
func FuncsOf(f *elf.File) ([]gosym.Func, error) {
	sec, text := f.Section(".gopclntab"), f.Section(".text")
	if sec == nil || text == nil {
		return nil, fmt.Errorf("no Go function table (.gopclntab)")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .gopclntab: %w", err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("read the function table: %w", err)
	}
	return tab.Funcs, nil
}

// Packages is the set of packages with code in f.
func Packages(f *elf.File) (map[string]bool, error) {
	funcs, err := FuncsOf(f)
	if err != nil {
		return nil, err
	}
	pkgs := map[string]bool{}
	for _, fn := range funcs {
		pkgs[fn.PackageName()] = true
	}
	return pkgs, nil
}
