Attribute VB_Name = "abmxl"
Option Explicit

' abmxl: the macros behind the buttons of the ABM funnel template.
' RunPython and ImportPythonUDFs come from the xlwings module of this workbook.

' The Refresh funnel button: reads the input sheets, rebuilds Funnel Summary
' and Account Scores (Python: abmxl.excel.refresh).
Sub RefreshFunnel()
    RunPython "import abmxl.excel; abmxl.excel.refresh()"
End Sub

' The Import functions button: registers the ABM_* Excel functions of the
' UDF Modules named on the xlwings.conf sheet (abmxl.udfs). Needs Excel's
' Trust access to the VBA project object model setting.
Sub ImportFunctions()
    ImportPythonUDFs
End Sub
