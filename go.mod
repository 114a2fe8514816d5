module github.com/asterism-pbx/asterism

go 1.26
