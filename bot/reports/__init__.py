"""Reports for the unit's leaders (issue 18): figures, charts, the workbook, the monthly report."""
