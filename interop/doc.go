// Package interop holds no code, only tests: each runs a real third-party
// AMI client library (panoramisk for Python, asterisk-manager for Node,
// Telephony::Asterisk::AMI for Perl) as a subprocess against an in-process
// server from [amitest], and checks what the client itself parsed. They
// prove that Asterism is a drop-in for clients written against Asterisk,
// bugs and assumptions included.
//
// The clients are installed by .ci/run (Debian's python3-panoramisk and
// libtelephony-asterisk-ami-perl, and `npm ci` in node/). Without them the
// tests skip loudly; with CI=true in the environment they fail instead.
package interop
