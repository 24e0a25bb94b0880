"""Trading Dashboard: one desktop window over several brokers' accounts."""

__version__ = "0.1.0"

# The freedesktop application id: the .desktop and AppStream files are named after it, the
# icon is installed under it, and Qt announces it (QGuiApplication.setDesktopFileName) so a
# desktop shell matches the running window to its launcher entry.
APP_ID = "io.github.tradingdashboard.TradingDashboard"
APP_DISPLAY_NAME = "Trading Dashboard"
