// Package media holds the audio building blocks of Asterism's channels,
// bridges, conferences, voicemail and recording:
//
//   - [Frame]: 20 ms of voice in a [Format] (µ-law, A-law or signed linear at
//     8 kHz), a DTMF begin or end, or a [Control] indication (ringing,
//     answer, busy, hold, hangup …);
//   - G.711 translation between µ-law, A-law and signed linear, by table, as
//     ITU-T G.711 and its reference code in G.191 define it ([Frame.Convert],
//     [EncodeULaw], [DecodeALaw] …);
//   - signal tools for tests and simulated phones: [ToneGen] (sines with
//     phase kept across frames), [DTMFTone], [TonePlayer] for Asterisk
//     tone lists ("440+480/2000,0/4000"), [Amplitude] and [Tones]
//     (Goertzel power and dominant frequencies) and [DTMFDetector];
//   - mixing with saturation: [Mix], [AddSat] and the conference [Mixer], in
//     which every member hears the sum of the others;
//   - WAV files as Asterisk's "wav" format writes them: [WAVReader] (also
//     µ-law and A-law WAV) and [WAVWriter], which writes a temporary file and
//     renames it into place on Close so a recording never appears half
//     written under its final name.
//
// The package starts no goroutines and knows nothing of channels or
// sockets. Its types are plain data owned by one goroutine at a time; none
// is safe for concurrent use unless its documentation says so.
//
// Frames are values: a [Frame] holds its payload in a fixed array, so it
// can be copied through a Go channel, kept in a ring buffer or reused in a
// loop without touching the heap. At 50 frames a second for 10,000
// channels that is 500,000 frames a second the garbage collector never
// sees, and no pool whose misuse (a frame released while another goroutine
// still reads it) would corrupt audio.
package media
