/* Risk level names, in records, config and alerts. Apart from
 * fingerprint.c, which rates them, because pam_cws.so's config parser
 * names them and must not link the fingerprint's hashing (libcrypto). */
#include "cws/risk.h"

const char *cws_risk_to_string(cws_risk r)
{
        switch (r) {
        case CWS_RISK_NONE:
                return "NONE";
        case CWS_RISK_LOW:
                return "LOW";
        case CWS_RISK_MEDIUM:
                return "MEDIUM";
        case CWS_RISK_HIGH:
                return "HIGH";
        case CWS_RISK_CRITICAL:
                return "CRITICAL";
        }
        return "unknown";
}
