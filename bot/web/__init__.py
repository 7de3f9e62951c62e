"""The staff site (`bot.web.app.create_app`), served with the Zalo channel by `processes.web`."""
