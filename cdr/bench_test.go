package cdr

import (
	"testing"
	"time"
)

// BenchmarkAppendCSV measures encoding one record, all columns on.
func BenchmarkAppendCSV(b *testing.B) {
	r := sampleRecord()
	cfg := CSVConfig{UseGMTime: true, LogUniqueID: true, LogUserField: true, NewCDRColumns: true}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendCSV(buf[:0], r, cfg)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkCSVLog measures encoding and durably writing one record to
// Master.csv and its account file: open, write, fsync, close, twice.
func BenchmarkCSVLog(b *testing.B) {
	w, err := NewCSV(b.TempDir(), CSVConfig{UseGMTime: true, AccountLogs: true})
	if err != nil {
		b.Fatal(err)
	}
	r := sampleRecord()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Log(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCSVLogMasterOnly is BenchmarkCSVLog without the account file.
func BenchmarkCSVLogMasterOnly(b *testing.B) {
	w, err := NewCSV(b.TempDir(), CSVConfig{UseGMTime: true})
	if err != nil {
		b.Fatal(err)
	}
	r := sampleRecord()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Log(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCSVLogBatch100 writes batches of 100 records (one write and one
// fsync per file); the time per record is reported as ns/record.
func BenchmarkCSVLogBatch100(b *testing.B) {
	w, err := NewCSV(b.TempDir(), CSVConfig{UseGMTime: true, AccountLogs: true})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]*Record, 100)
	for i := range batch {
		batch[i] = sampleRecord()
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.LogBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
}

// BenchmarkEventHeaders measures building the Cdr event body.
func BenchmarkEventHeaders(b *testing.B) {
	r := sampleRecord()
	b.ReportAllocs()
	for b.Loop() {
		_ = EventHeaders(r, time.UTC)
	}
}
