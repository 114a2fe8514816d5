package pbx

import "strings"

// Hangup causes: Asterisk's AST_CAUSE_* codes (include/asterisk/causes.h),
// which are the Q.850 cause values. The Hangup event carries the number and
// the text of [CauseText].
const (
	CauseNotDefined                 = 0
	CauseUnallocated                = 1
	CauseNoRouteTransitNet          = 2
	CauseNoRouteDestination         = 3
	CauseMisdialledTrunkPrefix      = 5
	CauseChannelUnacceptable        = 6
	CauseCallAwardedDelivered       = 7
	CausePreEmpted                  = 8
	CauseNumberPortedNotHere        = 14
	CauseNormalClearing             = 16
	CauseUserBusy                   = 17
	CauseNoUserResponse             = 18
	CauseNoAnswer                   = 19
	CauseSubscriberAbsent           = 20
	CauseCallRejected               = 21
	CauseNumberChanged              = 22
	CauseRedirectedToNewDestination = 23
	CauseAnsweredElsewhere          = 26
	CauseDestinationOutOfOrder      = 27
	CauseInvalidNumberFormat        = 28
	CauseFacilityRejected           = 29
	CauseResponseToStatusEnquiry    = 30
	CauseNormalUnspecified          = 31
	CauseNormalCircuitCongestion    = 34
	CauseNetworkOutOfOrder          = 38
	CauseNormalTemporaryFailure     = 41
	CauseSwitchCongestion           = 42
	CauseAccessInfoDiscarded        = 43
	CauseRequestedChanUnavail       = 44
	CauseFacilityNotSubscribed      = 50
	CauseOutgoingCallBarred         = 52
	CauseIncomingCallBarred         = 54
	CauseBearerCapabilityNotAuth    = 57
	CauseBearerCapabilityNotAvail   = 58
	CauseBearerCapabilityNotImpl    = 65
	CauseChanNotImplemented         = 66
	CauseFacilityNotImplemented     = 69
	CauseInvalidCallReference       = 81
	CauseIncompatibleDestination    = 88
	CauseInvalidMsgUnspecified      = 95
	CauseMandatoryIEMissing         = 96
	CauseMessageTypeNonexist        = 97
	CauseWrongMessage               = 98
	CauseIENonexist                 = 99
	CauseInvalidIEContents          = 100
	CauseWrongCallState             = 101
	CauseRecoveryOnTimerExpire      = 102
	CauseMandatoryIELengthError     = 103
	CauseProtocolError              = 111
	CauseInterworking               = 127

	// Asterisk's aliases.
	CauseBusy       = CauseUserBusy
	CauseFailure    = CauseNetworkOutOfOrder
	CauseCongestion = CauseNormalCircuitCongestion
)

type causeInfo struct {
	name, text string
}

// causes is main/channel.c's table: the name ast_str2cause accepts and the
// text ast_cause2str returns.
var causes = map[int]causeInfo{
	CauseUnallocated:                {"UNALLOCATED", "Unallocated (unassigned) number"},
	CauseNoRouteTransitNet:          {"NO_ROUTE_TRANSIT_NET", "No route to specified transmit network"},
	CauseNoRouteDestination:         {"NO_ROUTE_DESTINATION", "No route to destination"},
	CauseMisdialledTrunkPrefix:      {"MISDIALLED_TRUNK_PREFIX", "Misdialed trunk prefix"},
	CauseChannelUnacceptable:        {"CHANNEL_UNACCEPTABLE", "Channel unacceptable"},
	CauseCallAwardedDelivered:       {"CALL_AWARDED_DELIVERED", "Call awarded and being delivered in an established channel"},
	CausePreEmpted:                  {"PRE_EMPTED", "Pre-empted"},
	CauseNumberPortedNotHere:        {"NUMBER_PORTED_NOT_HERE", "Number ported elsewhere"},
	CauseNormalClearing:             {"NORMAL_CLEARING", "Normal Clearing"},
	CauseUserBusy:                   {"USER_BUSY", "User busy"},
	CauseNoUserResponse:             {"NO_USER_RESPONSE", "No user responding"},
	CauseNoAnswer:                   {"NO_ANSWER", "User alerting, no answer"},
	CauseSubscriberAbsent:           {"SUBSCRIBER_ABSENT", "Subscriber absent"},
	CauseCallRejected:               {"CALL_REJECTED", "Call Rejected"},
	CauseNumberChanged:              {"NUMBER_CHANGED", "Number changed"},
	CauseRedirectedToNewDestination: {"REDIRECTED_TO_NEW_DESTINATION", "Redirected to new destination"},
	CauseAnsweredElsewhere:          {"ANSWERED_ELSEWHERE", "Answered elsewhere"},
	CauseDestinationOutOfOrder:      {"DESTINATION_OUT_OF_ORDER", "Destination out of order"},
	CauseInvalidNumberFormat:        {"INVALID_NUMBER_FORMAT", "Invalid number format"},
	CauseFacilityRejected:           {"FACILITY_REJECTED", "Facility rejected"},
	CauseResponseToStatusEnquiry:    {"RESPONSE_TO_STATUS_ENQUIRY", "Response to STATus ENQuiry"},
	CauseNormalUnspecified:          {"NORMAL_UNSPECIFIED", "Normal, unspecified"},
	CauseNormalCircuitCongestion:    {"NORMAL_CIRCUIT_CONGESTION", "Circuit/channel congestion"},
	CauseNetworkOutOfOrder:          {"NETWORK_OUT_OF_ORDER", "Network out of order"},
	CauseNormalTemporaryFailure:     {"NORMAL_TEMPORARY_FAILURE", "Temporary failure"},
	CauseSwitchCongestion:           {"SWITCH_CONGESTION", "Switching equipment congestion"},
	CauseAccessInfoDiscarded:        {"ACCESS_INFO_DISCARDED", "Access information discarded"},
	CauseRequestedChanUnavail:       {"REQUESTED_CHAN_UNAVAIL", "Requested channel not available"},
	CauseFacilityNotSubscribed:      {"FACILITY_NOT_SUBSCRIBED", "Facility not subscribed"},
	CauseOutgoingCallBarred:         {"OUTGOING_CALL_BARRED", "Outgoing call barred"},
	CauseIncomingCallBarred:         {"INCOMING_CALL_BARRED", "Incoming call barred"},
	CauseBearerCapabilityNotAuth:    {"BEARERCAPABILITY_NOTAUTH", "Bearer capability not authorized"},
	CauseBearerCapabilityNotAvail:   {"BEARERCAPABILITY_NOTAVAIL", "Bearer capability not available"},
	CauseBearerCapabilityNotImpl:    {"BEARERCAPABILITY_NOTIMPL", "Bearer capability not implemented"},
	CauseChanNotImplemented:         {"CHAN_NOT_IMPLEMENTED", "Channel not implemented"},
	CauseFacilityNotImplemented:     {"FACILITY_NOT_IMPLEMENTED", "Facility not implemented"},
	CauseInvalidCallReference:       {"INVALID_CALL_REFERENCE", "Invalid call reference value"},
	CauseIncompatibleDestination:    {"INCOMPATIBLE_DESTINATION", "Incompatible destination"},
	CauseInvalidMsgUnspecified:      {"INVALID_MSG_UNSPECIFIED", "Invalid message unspecified"},
	CauseMandatoryIEMissing:         {"MANDATORY_IE_MISSING", "Mandatory information element is missing"},
	CauseMessageTypeNonexist:        {"MESSAGE_TYPE_NONEXIST", "Message type nonexist."},
	CauseWrongMessage:               {"WRONG_MESSAGE", "Wrong message"},
	CauseIENonexist:                 {"IE_NONEXIST", "Info. element nonexist or not implemented"},
	CauseInvalidIEContents:          {"INVALID_IE_CONTENTS", "Invalid information element contents"},
	CauseWrongCallState:             {"WRONG_CALL_STATE", "Message not compatible with call state"},
	CauseRecoveryOnTimerExpire:      {"RECOVERY_ON_TIMER_EXPIRE", "Recover on timer expiry"},
	CauseMandatoryIELengthError:     {"MANDATORY_IE_LENGTH_ERROR", "Mandatory IE length error"},
	CauseProtocolError:              {"PROTOCOL_ERROR", "Protocol error, unspecified"},
	CauseInterworking:               {"INTERWORKING", "Interworking, unspecified"},
}

// CauseText returns the text Asterisk's ast_cause2str gives cause
// ("Normal Clearing" for 16), or "Unknown" for a number not in its table
// (0 included).
func CauseText(cause int) string {
	if c, ok := causes[cause]; ok {
		return c.text
	}
	return "Unknown"
}

// ParseCause reads a cause as the Hangup application and the AMI Hangup
// action do: a name from Asterisk's table ("USER_BUSY", case ignored) or a
// number. It reports false for anything else, and for numbers below 1.
func ParseCause(s string) (int, bool) {
	for code, c := range causes {
		if strings.EqualFold(s, c.name) {
			return code, true
		}
	}
	n := 0
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' || n > 1000 {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, n > 0
}
