package emails

// SignInCode is the email carrying a sign-in code to a staff address:
// plain text, the code in its subject too (so a phone's notification shows
// it). clinic is the clinic's name (CLINIC_NAME).
func SignInCode(clinic, code string) Content {
	return Content{
		Subject: "Your sign-in code: " + code,
		Text: code + " is your code to sign in to " + clinic + "'s requests.\n\n" +
			"It works once, for the next 10 minutes. If you did not ask for it, ignore this email: nobody can sign in without the code.\n",
	}
}
