package imap

// The server's fixed reply texts. Response codes in brackets are RFC 5530's
// (AUTHENTICATIONFAILED, NONEXISTENT, ALREADYEXISTS, CANNOT, NOPERM,
// PRIVACYREQUIRED, SERVERBUG, OVERQUOTA...), RFC 4315's (APPENDUID) and
// RFC 3501's (TRYCREATE, CAPABILITY).
const (
	replyContinueLiteral    = "+ Ready for literal data"
	replyLineTooLong        = "BAD Line too long"
	replyTooManyInvalid     = "BYE Too many invalid commands"
	replyAutologout         = "BYE Autologout; idle for too long"
	replyShuttingDown       = "BYE Server shutting down"
	replyTooManyConnections = "BYE Too many connections"
	replyLiteralTooLargeBye = "BYE Literal too large"
	replyLogout             = "BYE Logging out"
	replyAutoBanned         = "BYE Too many failed logins"
	replySelectedDeleted    = "BYE The selected mailbox was deleted"
	replyInternalErrorBye   = "BYE Internal server error"
	replySyntaxError        = "Syntax error"
	replyUnknownCommand     = "Unknown command"
	replyBadState           = "Command not valid in this state"
	replyInternalError      = "Internal error"
	replySTARTTLSRequired   = "STARTTLS is required"
	replyLoginFailed        = "Invalid user name or password"
	replyAuthCancelled      = "Authentication cancelled"
	replyAuthInvalid        = "Invalid authentication data"
	replyAuthMechanism      = "Unsupported authentication mechanism"
	replyNoSuchMailbox      = "Mailbox does not exist"
	replyPermissionDenied   = "Permission denied"
)
