"""The one door the UI and the CLI use: queries and job factories over the layers below."""
