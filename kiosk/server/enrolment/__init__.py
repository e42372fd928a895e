"""One-time enrolment codes: an agent gives a new kiosk its token without typing it
(issue 15, one-step provisioning; deploy/kiosk/provision.sh spends the code)."""
