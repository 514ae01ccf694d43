"""Reports as files people open: Excel workbooks (`exports.xlsx`) and CSV (`exports.csv`)."""
