// Package sounds finds and streams the prompts that Playback, Background,
// the Say applications and voicemail play, the way Asterisk finds them:
//
//   - a [Library] opens a sound by name and channel language and returns a
//     [Stream] of 20 ms [media.Frame] values, the last one padded with
//     silence;
//   - [Dir] is a library of files under an Asterisk data directory
//     (asterisk.conf's astdatadir): "digits/1" in language "fr_CA" is
//     looked for in <datadir>/sounds/fr_CA/digits/1.*, then fr/, then the
//     sounds root, then en/, in the formats Asterisk's format_sln,
//     format_pcm and format_wav read (.sln .raw .ulaw .pcm .ul .mu .ulw
//     .alaw .al .alw .wav), so Debian's asterisk-core-sounds-en-wav layout
//     works as installed;
//   - [Embedded] is a small generated set — beep, silence/1 and DTMF tones
//     standing in for digits/0 … digits/9, digits/star and digits/pound —
//     so that the demo and the tests have audio without any sound package,
//     and a test can prove what a caller heard with a [media.DTMFDetector];
//   - [Layers] tries several libraries in turn: the real data directory
//     first, then the embedded set;
//   - [DigitFiles], [AlphaFiles] and [NumberFiles] build the file lists
//     of Asterisk's say.c (SayDigits, SayAlpha, SayNumber and the
//     SAYFILES function) for English.
//
// Names come from the dialplan, and so possibly from callers: a name with
// a ".." segment or a NUL byte is treated as not found, so no name leaves
// the sounds directory unless it is absolute, which Asterisk allows in
// Playback and which only the dialplan's author can write. Symbolic links
// inside the sounds directory are followed, as Asterisk follows them:
// placing them is the administrator's choice.
//
// A Library is safe for concurrent use; a Stream belongs to one goroutine.
// The package starts no goroutines.
package sounds
