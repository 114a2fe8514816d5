package pbxami_test

import (
	"regexp"

	"github.com/asterism-pbx/asterism/internal/transcript"
)

// cdrRules make the Cdr events of a replay comparable with the recorded
// ones: the replay sleeps 5 % of the recorded gaps, so the times and
// durations differ; whether a time is set (an answered call has an
// AnswerTime) and everything else must not.
func cdrRules() []transcript.Rule {
	rules := append(transcript.DefaultRules(),
		transcript.Rule{Header: "Duration", Match: regexp.MustCompile(`^\d\d:\d\d:\d\d$`), Replace: "<hh:mm:ss>"},
		transcript.Rule{Event: "Status", Header: "Seconds", Match: regexp.MustCompile(`^\d+$`), Replace: "<seconds>"})
	for _, h := range []string{"StartTime", "AnswerTime", "EndTime"} {
		rules = append(rules, transcript.Rule{Event: "Cdr", Header: h,
			Match: regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`), Replace: "<datetime>"})
	}
	for _, h := range []string{"Duration", "BillableSeconds"} {
		rules = append(rules, transcript.Rule{Event: "Cdr", Header: h,
			Match: regexp.MustCompile(`^\d+$`), Replace: "<seconds>"})
	}
	return rules
}
