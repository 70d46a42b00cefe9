/* Risk levels of violations and alerts, LOW..CRITICAL (lib/gate/risk.c). */
#pragma once

typedef enum cws_risk { CWS_RISK_NONE, CWS_RISK_LOW, CWS_RISK_MEDIUM, CWS_RISK_HIGH, CWS_RISK_CRITICAL } cws_risk;

const char *cws_risk_to_string(cws_risk r);
