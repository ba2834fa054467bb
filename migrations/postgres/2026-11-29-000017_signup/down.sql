DROP TABLE client_signup;
